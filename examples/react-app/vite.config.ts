import { defineConfig } from 'vite';

export default defineConfig({
  // React's automatic JSX runtime through Vite's esbuild step (no plugin needed).
  esbuild: { jsx: 'automatic' },
  // `vite dev` pre-bundles dependencies into .vite/deps, which moves the module away from its
  // .wasm: keep wasm-rum out of pre-bundling so `new URL('./wasm_rum_bg.wasm', import.meta.url)` resolves.
  optimizeDeps: { exclude: ['wasm-rum'] },
});
