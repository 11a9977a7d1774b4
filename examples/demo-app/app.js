// The demo shop: a page that calls init() first, then does what real pages do.
import { init } from '/pkg/index.js';

const params = new URLSearchParams(location.search);
const config = window.DEMO_CONFIG;
const rum = init({
  url: config.collectorUrl,
  app: { name: 'demo-shop', version: '1.0.0', environment: 'demo' },
  tracing: { propagateTraceHeaderCorsUrls: [config.apiOrigin] },
  sessionTracking: { samplingRate: params.get('sample') === '0' ? 0 : 1 },
  batching: { sendTimeout: 1000 },
});
window.rum = rum;

const api = (path) => fetch(config.apiOrigin + path).then((r) => r.json().catch(() => ({}))).catch(() => ({}));
const busy = (ms) => { const end = performance.now() + ms; while (performance.now() < end) {} };
const on = (id, f) => document.getElementById(id)?.addEventListener('click', f);

// A banner that arrives late and pushes the content down (CLS).
setTimeout(() => {
  const b = document.createElement('div');
  b.className = 'banner';
  b.textContent = 'Free shipping today!';
  document.getElementById('banner-slot').appendChild(b);
}, 600);

on('slow', () => busy(350));
on('products', async () => {
  const r = await api('/api/products');
  document.getElementById('list').insertAdjacentHTML('beforeend', `<li>products: ${JSON.stringify(r).slice(0, 60)}</li>`);
});
on('slow-api', () => api('/api/slow?ms=400'));
on('failing-api', () => api('/api/status/500'));
on('pay', () => api('/api/checkout'));
on('throw', () => {
  function applyCoupon(code) {
    return code.trim().toUpperCase();
  }
  applyCoupon(undefined);
});

// Client-side routes, as a single-page app has them: a product opens without a page load, so
// Chromium sees a soft navigation and each route gets its own Web Vitals (per-route p75s).
const PRODUCTS = { 1: 'Rust mug', 2: 'Wasm hoodie' };
function render(path) {
  const view = document.getElementById('view');
  const id = /^\/product\/(\d+)$/.exec(path)?.[1];
  if (!view) return;
  view.innerHTML = id ? `<h2 class="hero">${PRODUCTS[id] || `Product ${id}`}</h2><p id="stock">Checking the stock…</p>` : '';
  if (id) api('/api/products').then(() => { const s = document.getElementById('stock'); if (s) s.textContent = 'In stock'; });
}
document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a.route');
  if (!a) return;
  e.preventDefault();
  history.pushState(null, '', a.getAttribute('href'));
  render(location.pathname);
});
addEventListener('popstate', () => render(location.pathname));
render(location.pathname);
