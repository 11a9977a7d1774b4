import { Component, type ErrorInfo, type ReactNode } from 'react';
import { rum } from './rum';

/** Reports render errors through rum.pushError, with the component stack as context. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    rum.pushError(error, { context: { componentStack: info.componentStack ?? '', boundary: 'App' } });
  }

  render() {
    return this.state.failed ? <p role="alert">Something went wrong; it has been reported.</p> : this.props.children;
  }
}
