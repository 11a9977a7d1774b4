import { datadogRum } from '@datadog/browser-rum';
datadogRum.init({ applicationId: '00000000-0000-0000-0000-000000000000', clientToken: 'pub00000000000000000000000000000000', site: 'datadoghq.com', proxy: location.origin + '/capture/datadog', sessionSampleRate: 100, trackResources: true, trackLongTasks: true });
window.agentReadyAt = performance.now();
window.pushItem = (i) => datadogRum.addAction('bench', { i });
