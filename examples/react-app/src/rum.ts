import { init, type Rum } from 'wasm-rum';

// In a real app these are constants; the example reads them from the URL so tests and the demo
// can point it at their own loopback servers.
const params = new URLSearchParams(location.search);
export const apiOrigin = params.get('api') ?? 'http://127.0.0.1:8081';

export const rum: Rum = init({
  url: params.get('collector') ?? 'http://127.0.0.1:12347/collect',
  app: { name: 'react-example', version: '1.0.0', environment: 'example' },
  tracing: { propagateTraceHeaderCorsUrls: [apiOrigin] },
  batching: { sendTimeout: 1000 },
});
