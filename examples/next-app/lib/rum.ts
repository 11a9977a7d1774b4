import { init } from 'wasm-rum';

// One module-level init(), imported first by instrumentation-client.ts (which Next.js runs in the
// browser before the app) and by any component that reports to it. When Next renders those
// components on the server, init() checks the config and returns a handle that does nothing.
export const rum = init({
  // Inlined at build time; the e2e test points it at its own collector.
  url: process.env.NEXT_PUBLIC_RUM_URL ?? 'http://127.0.0.1:12347/collect',
  app: { name: 'next-example', version: '1.0.0', environment: 'example' },
  batching: { sendTimeout: 1000 },
});
