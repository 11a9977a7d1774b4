'use client';

import { useState } from 'react';
import { rum } from '../lib/rum';

export function Buttons() {
  const [answer, setAnswer] = useState('');
  return (
    <div>
      <button
        id="api"
        onClick={async () => {
          // Same origin: the agent adds traceparent and records the call as a span.
          const r = await fetch('/api/hello');
          setAnswer(JSON.stringify(await r.json()));
        }}
      >
        Call the API
      </button>
      <button
        id="throw"
        onClick={() => {
          throw new TypeError('next button handler failed');
        }}
      >
        Throw
      </button>
      <button id="caught" onClick={() => rum.pushError(new Error('caught in a component'))}>
        Report a caught error
      </button>
      <pre id="answer">{answer}</pre>
    </div>
  );
}
