// examples/grafana: what can be checked here without Grafana: the files parse, every dashboard
// query returns series from a real Prometheus scraping our collector, and the correlation finds
// the trace id in a real log line of the collector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT, startCollector, waitFor } from './harness.mjs';

const G = join(ROOT, 'examples', 'grafana');
const dashboard = JSON.parse(readFileSync(join(G, 'dashboards', 'web-vitals.json'), 'utf8'));
const datasources = parse(readFileSync(join(G, 'provisioning', 'datasources', 'datasources.yaml'), 'utf8'));

function payload(page, id, values, trace) {
  const start = 1787566502000000000n;
  return {
    meta: { sdk: { name: 'wasm-rum', version: '0.1.0' }, app: { name: 'shop' }, session: { id: 'sess1' }, page: { id: `page-${id}`, url: `https://shop.example${page}` }, browser: { mobile: false } },
    measurements: Object.entries(values).map(([k, v], i) => ({ type: 'web-vitals', values: { [k]: v, delta: v }, context: { id: `${id}-${i}` } })),
    exceptions: [{ type: 'TypeError', value: 'boom', trace }],
    events: [{ name: 'page_view', domain: 'browser', attributes: { navigation_type: 'navigate', session_sampled: 'true', sampling_rate: '1' } }],
    traces: { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'wasm-rum' }, spans: [{
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', name: 'GET', kind: 3,
      startTimeUnixNano: String(start), endTimeUnixNano: String(start + 120000000n),
      attributes: [{ key: 'http.request.method', value: { stringValue: 'GET' } }, { key: 'url.full', value: { stringValue: 'https://api.shop.example/api/items/42' } }, { key: 'http.response.status_code', value: { intValue: '200' } }],
      status: {} }] }] }] },
  };
}

test('the provisioning YAML and dashboard JSON parse and point at the right data sources', () => {
  assert.deepEqual(datasources.datasources.map((d) => d.uid), ['prometheus', 'loki', 'tempo']);
  const loki = datasources.datasources.find((d) => d.uid === 'loki');
  assert.equal(loki.correlations[0].targetUID, 'tempo');
  parse(readFileSync(join(G, 'provisioning', 'dashboards', 'dashboards.yaml'), 'utf8'));
  assert.ok(readFileSync(join(G, 'config.alloy'), 'utf8').includes('faro.receiver'));
  assert.ok(dashboard.panels.length >= 6);
  // The fetch-latency panel asks for exemplars, and Prometheus' exemplars link to Tempo by trace_id.
  const exemplarTargets = dashboard.panels.flatMap((p) => p.targets.filter((t) => t.exemplar).map((t) => ({ panel: p, t })));
  assert.ok(exemplarTargets.some(({ t }) => t.expr.includes('rum_http_client_duration_seconds_bucket')));
  for (const { panel } of exemplarTargets) assert.equal(panel.datasource.uid, 'prometheus');
  const prometheus = datasources.datasources.find((d) => d.uid === 'prometheus');
  assert.deepEqual(prometheus.jsonData.exemplarTraceIdDestinations, [{ name: 'trace_id', datasourceUid: 'tempo' }]);
  assert.ok(dashboard.panels.some((p) => p.targets.some((t) => t.expr.includes('rum_page_views_with_errors_total'))));
});

test('the correlation extracts the trace id from a real logfmt line of the collector', async () => {
  const c = await startCollector({ logFormat: 'logfmt' });
  try {
    const trace = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' };
    const r = await fetch(c.url, { method: 'POST', body: JSON.stringify(payload('/', 'x', {}, trace)) });
    assert.equal(r.status, 202);
    const line = await waitFor(() => readFileSync(join(c.dir, 'log.jsonl'), 'utf8').split('\n').find((l) => l.includes('kind=exception')), { what: 'the exception line' });
    const loki = datasources.datasources.find((d) => d.uid === 'loki');
    const regex = new RegExp(loki.jsonData.derivedFields[0].matcherRegex);
    assert.equal(regex.exec(line)[1], trace.trace_id);
    // The logfmt transformation: the key traceID holds the id.
    const fields = Object.fromEntries([...line.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)].map((m) => [m[1], m[2]]));
    assert.equal(fields.traceID, trace.trace_id);
  } finally {
    await c.stop();
  }
});

test('every dashboard query returns series from a real Prometheus scraping the collector', { skip: !existsSync('/usr/bin/prometheus') && !process.env.WASM_RUM_REQUIRE_PROMETHEUS }, async () => {
  const c = await startCollector();
  const dir = mkdtempSync(join(tmpdir(), 'wasm-rum-grafana-'));
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: rum\n    static_configs:\n      - targets: ['${c.origin.replace('http://', '')}']\n`);
  const prom = spawn('/usr/bin/prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    const post = (body) => fetch(c.url, { method: 'POST', body: JSON.stringify(body) });
    // Two scrapes apart, so that rate() and increase() have two points.
    await post(payload('/product/1', 'a', { lcp: 1800, inp: 120, cls: 0.05, fcp: 900, ttfb: 200 }));
    await new Promise((r) => setTimeout(r, 2500));
    await post(payload('/product/2', 'b', { lcp: 3200, inp: 320, cls: 0.2, fcp: 1900, ttfb: 900 }));
    await new Promise((r) => setTimeout(r, 2500));
    const queries = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    for (const expr of queries) {
      const q = expr.replaceAll('$app', 'shop').replaceAll('$__rate_interval', '1m').replaceAll('$__range', '5m');
      const result = await waitFor(async () => {
        const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`).then((x) => x.json()).catch(() => null);
        return r?.status === 'success' && r.data.result.length ? r.data.result : null;
      }, { timeout: 20000, what: `series for ${q}` });
      assert.ok(result.length > 0, q);
    }
  } finally {
    prom.kill();
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
