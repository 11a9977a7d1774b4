// Echoes the traceparent the agent put on the call, so the test can tie it to the span.
export function GET(request: Request) {
  return Response.json({ hello: 'world', traceparent: request.headers.get('traceparent') });
}
