import { initializeFaro, getWebInstrumentations } from '@grafana/faro-web-sdk';
import { TracingInstrumentation } from '@grafana/faro-web-tracing';
const faro = initializeFaro({ url: location.origin + '/capture/faro-tracing', app: { name: 'bench' }, instrumentations: [...getWebInstrumentations(), new TracingInstrumentation()] });
window.agentReadyAt = performance.now();
window.pushItem = (i) => faro.api.pushEvent('bench', { i: String(i) });
