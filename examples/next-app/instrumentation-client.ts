// Next.js 15+ runs this file in the browser before the app hydrates: the agent starts early
// enough to see the first paint and early errors.
import { rum } from './lib/rum';

rum.pushEvent('app_start');

// Route changes: App Router navigations go through history.pushState, which the agent follows;
// onRouterTransitionStart lets it name the view before the new page renders.
export function onRouterTransitionStart(url: string) {
  rum.setView({ name: new URL(url, location.href).pathname });
}
