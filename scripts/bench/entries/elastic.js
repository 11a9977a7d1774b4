import { init } from '@elastic/apm-rum';
init({ serviceName: 'bench', serverUrl: location.origin + '/capture/elastic', flushInterval: 200 });
window.agentReadyAt = performance.now();
