import { init } from '../../../pkg/index.js';
const rum = init({ url: location.origin + '/capture/wasm-rum', app: { name: 'bench' }, wasmUrl: '/pkg/wasm_rum_bg.wasm' });
window.agent = rum;
const ready = () => (rum.getSession() ? (window.agentReadyAt = performance.now()) : setTimeout(ready, 1));
ready();
window.pushItem = (i) => rum.pushEvent('bench', { i: String(i) });
