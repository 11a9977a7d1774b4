// Issue 18's journey: real Chromium pages with the agent, the real collector, and a real Prometheus
// (exemplar storage on, the shipped rules in examples/grafana/rules/frontend-slo.yml evaluated every
// second). A known number of page views, sessions, fetches and errors must come out as the series,
// the rules' values, a p95 per route and an exemplar whose trace_id the API received in traceparent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startCollector, startStatic, launchBrowser, agentPage, html, waitFor, openPage } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** The collector, a Prometheus scraping it with the shipped rules, and a site with an API. */
async function stack(app, samplingRate) {
  const collector = await startCollector();
  const dir = mkdtempSync(join(tmpdir(), 'wasm-rum-slo-'));
  const port = await freePort();
  const rules = join(ROOT, 'examples', 'grafana', 'rules', 'frontend-slo.yml');
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - '${rules}'\nscrape_configs:\n  - job_name: rum\n    static_configs:\n      - targets: ['${collector.origin.replace('http://', '')}']\n`);
  const prom = spawn('/usr/bin/prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--enable-feature=exemplar-storage'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let promLog = '';
  prom.stderr.on('data', (d) => { promLog = (promLog + d).slice(-3000); });
  const traceparents = new Set();
  const api = (status) => (req, res) => {
    const tp = req.headers.traceparent;
    if (tp) traceparents.add(tp.split('-')[1]);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end('{}');
  };
  const page = agentPage({
    config: { url: collector.url, app: { name: app }, batching: { sendTimeout: 100 }, sessionTracking: { samplingRate } },
    body: '<h1>shop</h1><button id="go">cart</button>',
    after: `
      window.journey = async (errors) => {
        await fetch('/api/items/1');
        history.pushState({}, '', '/cart');
        await fetch('/api/items/2');
        await fetch('/api/fail');
        for (let i = 0; i < errors; i++) rum.pushError(new Error('cart failed ' + i));
        await rum.flush();
        return rum.getSession();
      };
      window.ready = true;`,
  });
  const site = await startStatic({ routes: { '/': html(page), '/api/items/1': api(200), '/api/items/2': api(200), '/api/fail': api(500) } });
  const query = async (q) => {
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`).then((x) => x.json()).catch(() => null);
    return r?.status === 'success' ? r.data.result : null;
  };
  /** Waits until `q` gives one series whose value satisfies `ok`; returns the value. */
  const value = (q, ok, what) => {
    let last = 'no answer from Prometheus';
    return waitFor(async () => {
      const r = await query(q);
      if (r) last = JSON.stringify(r);
      const v = r && r.length ? Number(r[0].value[1]) : NaN;
      return ok(v) ? v : null;
    }, { timeout: 30000, what: `${what}: ${q}` }).catch(async (e) => {
      const series = (await collector.metrics().catch(() => '')).split('\n').filter((l) => l.startsWith('rum_')).join('\n');
      const up = await fetch(`http://127.0.0.1:${port}/-/ready`).then((x) => x.status, (x) => String(x));
      throw new Error(`${e.message}\nlast answer: ${last}\nPrometheus /-/ready: ${up}\nthe collector's rum_ series:\n${series}\nPrometheus' log (end):\n${promLog}`);
    });
  };
  const apiSpans = () => collector.spans().filter((sp) => JSON.stringify(sp.attributes || []).includes('/api/')).length;
  /** One visit in a fresh session (a new browser context): the journey, `errors` exceptions. */
  const visit = async (errors) => {
    const s = await openPage(browser);
    const spansBefore = apiSpans();
    try {
      await s.page.goto(`${site.origin}/`);
      // The journey starts once the agent runs: fetches made while the wasm is still loading are
      // not wrapped yet, and a loaded machine made the visit's spans go missing that way.
      await s.page.waitForFunction(() => window.ready && window.rum.getSession());
      const session = await s.page.evaluate((n) => window.journey(n), errors);
      assert.deepEqual(s.pageErrors, []);
      // The page stays open until its beacons have arrived: closing the context may cancel a
      // beacon still in flight, which a real tab being closed would not.
      // Every beacon: both page views (the first went with the first batch and may arrive after
      // the later ones), the exceptions, and the three fetch spans where the session was
      // head-sampled (a session promoted by its error has no spans from before the error).
      const mine = (it) => it.meta.session.id === session.id;
      const views = await collector.waitForItems('events', (e) => mine(e) && e.name === 'page_view', { count: 2 });
      assert.ok(views.some((e) => e.meta.page.url.endsWith('/cart')), 'the route change is a view');
      if (errors) await collector.waitForItems('exceptions', mine, { count: errors });
      if (views[0].attributes.session_sampled === 'true') {
        await waitFor(() => apiSpans() >= spansBefore + 3, { what: "the visit's three fetch spans" }).catch((e) => {
          // Which of them arrived, and what the collector counted as dropped.
          const urls = collector.spans().map((sp) => JSON.stringify(sp.attributes || []).match(/\/api\/[a-z0-9/]+/)?.[0]);
          throw new Error(`${e.message}; ${spansBefore} before the visit, now: ${JSON.stringify(urls)}`);
        });
      }
      return session;
    } finally {
      await s.close();
    }
  };
  return {
    collector, port, traceparents, query, value, visit,
    async stop() { prom.kill(); await site.stop(); await collector.stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}

test('a journey of known views, sessions, fetches and errors gives the series, the SLO rules, p95 per route and an exemplar of a real trace', async () => {
  const s = await stack('slo', 1);
  try {
    // Warm-up: the same journey once, so every series exists when Prometheus first scrapes it
    // (rate() counts what happens after a series' first sample).
    await s.visit(1);
    await s.collector.waitForItems('exceptions', () => true);
    await s.value('sum(rum_page_views_total{app="slo"})', (v) => v === 2, 'the warm-up views scraped');
    await s.value('sum(rum_http_client_duration_seconds_count{app="slo"})', (v) => v === 3, 'the warm-up fetches scraped');
    // The journey: 3 sessions of 2 views (the load and the route change) and 3 fetches each;
    // 2 exceptions in the first session, 1 in the second, none in the third.
    for (const errors of [2, 1, 0]) await s.visit(errors);
    await s.collector.waitForItems('exceptions', () => true, { count: 4 });
    const views = await s.value('sum(rum_page_views_total{app="slo"})', (v) => v === 8, 'every view made');
    assert.equal(views, 8);
    await s.value('sum(rum_sessions_total{app="slo"})', (v) => v === 4, 'every session');
    await s.value('sum(rum_exceptions_total{app="slo"})', (v) => v === 4, 'every exception');
    await s.value('sum(rum_page_views_with_errors_total{app="slo"})', (v) => v === 3, 'views with an error: the warm-up\'s and two of the journey\'s');
    // The rules over the journey alone (after the series' first samples): 3 exceptions over 6
    // views, and 2 of the 6 views with an error.
    const near = (x) => (v) => Math.abs(v - x) < 1e-9;
    await s.value('app:rum_error_rate:ratio_rate5m{app="slo"}', near(3 / 6), 'exceptions per view');
    await s.value('app:rum_views_with_errors:ratio_rate5m{app="slo"}', near(2 / 6), 'share of views with an error');
    // Fetch latency per route: the two templated routes have a p95.
    const p95 = await waitFor(async () => {
      const r = await s.query('histogram_quantile(0.95, sum by (le, route) (rate(rum_http_client_duration_seconds_bucket{app="slo"}[5m])))');
      const routes = Object.fromEntries((r || []).map((x) => [x.metric.route, Number(x.value[1])]));
      return routes['/api/items/:id'] > 0 && routes['/api/fail'] > 0 ? routes : null;
    }, { timeout: 30000, what: 'a p95 per route' });
    assert.ok(p95['/api/items/:id'] < 10, JSON.stringify(p95));
    await s.value('route:rum_http_client_duration_seconds:p95_5m{app="slo",route="/api/fail"}', (v) => v > 0, 'the recording rule per route');
    // The exemplar names a trace the API received in traceparent.
    const now = Date.now() / 1000;
    const exemplar = await waitFor(async () => {
      const r = await fetch(`http://127.0.0.1:${s.port}/api/v1/query_exemplars?query=${encodeURIComponent('rum_http_client_duration_seconds_bucket{app="slo"}')}&start=${now - 600}&end=${now + 60}`).then((x) => x.json()).catch(() => null);
      return r?.data?.flatMap((x) => x.exemplars).find((e) => e.labels.trace_id) || null;
    }, { timeout: 30000, what: 'an exemplar with trace_id' });
    assert.ok(s.traceparents.has(exemplar.labels.trace_id), `${exemplar.labels.trace_id} among ${[...s.traceparents]}`);
  } finally {
    await s.stop();
  }
});

test('at samplingRate 0.5 the views estimate stays unbiased although every erring session is kept', async () => {
  const s = await stack('slo-half', 0.5);
  try {
    // 24 sessions of 2 views, each with an exception: all are sent (an exception promotes an
    // unsampled session), but only head-sampled sessions' views count, weighted by 2. The sampled
    // count is binomial(24, 0.5): the estimate 2 * 2 * sampled has mean 48 and standard deviation
    // 4 * sqrt(24 / 4) = 9.8. The exact checks are that each head-sampled view adds 2 and promoted
    // sessions add nothing; the tolerance on the estimate is 4 sigma (39), so that this check fails
    // by chance about once in 16 000 runs.
    const sessions = [];
    for (let i = 0; i < 24; i++) sessions.push(await s.visit(1));
    await s.collector.waitForItems('exceptions', () => true, { count: 24 });
    const sampled = sessions.filter((x) => x.sampled).length;
    // The agent's own view of the head decision is in each page_view event.
    const views = s.collector.items('events').filter((e) => e.name === 'page_view');
    assert.equal(views.length, 48, 'every view arrives: every session was promoted by its exception');
    const headSampled = views.filter((e) => e.attributes.session_sampled === 'true').length;
    const estimate = await s.value('sum(rum_page_views_total{app="slo-half"})', (v) => v === headSampled * 2, 'the weighted views');
    assert.ok(Math.abs(estimate - 48) <= 39, `estimate ${estimate} of 48 views (${headSampled / 2} of 24 sessions head-sampled)`);
    assert.ok(sampled === 24, 'every session ends up sampled (promoted)');
    await s.value('sum(rum_exceptions_total{app="slo-half"})', (v) => v === 24, 'every exception counted');
  } finally {
    await s.stop();
  }
});
