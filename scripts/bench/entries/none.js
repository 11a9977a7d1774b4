window.agentReadyAt = performance.now();
