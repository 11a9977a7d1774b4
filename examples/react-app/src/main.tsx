import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { rum } from './rum';
import { App } from './App';
import { ErrorBoundary } from './ErrorBoundary';

// init() runs (in ./rum) before the first render, so the first paint and early errors are seen.
rum.pushEvent('app_start');

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary>
      <App />
    </ErrorBoundary>
  </StrictMode>,
);
