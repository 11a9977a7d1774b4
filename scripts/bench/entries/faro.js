import { initializeFaro, getWebInstrumentations } from '@grafana/faro-web-sdk';
const faro = initializeFaro({ url: location.origin + '/capture/faro', app: { name: 'bench' }, instrumentations: getWebInstrumentations() });
window.agentReadyAt = performance.now();
window.pushItem = (i) => faro.api.pushEvent('bench', { i: String(i) });
