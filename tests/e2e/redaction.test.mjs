// Redaction: secrets planted in the page URL and in fetch/XHR URLs (query values under encoded
// and camelCase names, OAuth fragments, a hash route's query, userinfo) never reach the
// collector: every captured body and log line is searched for them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startCollector, startStatic, launchBrowser, agentPage, html, waitFor } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

// Each secret is a unique word that appears nowhere else: found anywhere at the collector, it leaked.
const SECRET = Object.fromEntries(['pw', 'sig', 'jwt', 'cust', 'hashq', 'oauthAt', 'oauthId', 'fetchSig', 'fetchTok',
  'fetchFrag', 'fetchCust', 'xhrPwd', 'xhrPass', 'xhrFrag', 'xhrUser', 'xhrUserPw', 'credUser', 'credPw']
  .map((k) => [k, `LEAK${k.toUpperCase()}Z9`]));
const SERVER_TRACE = '0af7651916cd43dd8448eb211c80319c';

test('no planted secret in the page URL or in fetch/XHR URLs reaches the collector', async () => {
  const collector = await startCollector();
  const config = { url: collector.url, app: { name: 'shop' }, batching: { sendTimeout: 100 }, redact: { queryParams: ['customer_id'] } };
  const api = (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store',
      'server-timing': `traceparent;desc=00-${SERVER_TRACE}-b7ad6b7169203331-01`, 'timing-allow-origin': '*' });
    res.end('{}');
  };
  const page = (after) => html(() => agentPage({ config, after }));
  const site = await startStatic({
    routes: {
      '/api': api,
      '/app': page(`
        await rum.flush(); // the agent is running: fetch and XHR are wrapped
        // The body is read: resource timing has the entry once the response has ended.
        await (await fetch('/api?sig=${SECRET.fetchSig}&%54OKEN=${SECRET.fetchTok}&keyword=shoes&customer-id=${SECRET.fetchCust}#state=${SECRET.fetchFrag}')).text();
        await new Promise((done) => {
          const x = new XMLHttpRequest();
          x.open('GET', 'http://${SECRET.xhrUser}:${SECRET.xhrUserPw}@' + location.host + '/api?pwd=${SECRET.xhrPwd}&Pass=${SECRET.xhrPass}&author=ann#${SECRET.xhrFrag}');
          x.onloadend = done;
          x.send();
        });
        // fetch refuses a URL with credentials: the failed request is a span all the same.
        await fetch('http://${SECRET.credUser}:${SECRET.credPw}@' + location.host + '/api?x=1').catch(() => {});
        rum.pushEvent('app_done');
        await rum.flush();`),
      '/cb': page(`rum.pushEvent('cb_done'); await rum.flush();`),
    },
  });
  const context = await browser.newContext();
  const tab = await context.newPage();
  const pageErrors = [];
  tab.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    const o = site.origin;
    await tab.goto(`${o}/app?q=1&p%61ssword=${SECRET.pw}&X-Amz-Signature=${SECRET.sig}&jwt=${SECRET.jwt}&customerId=${SECRET.cust}#/orders/7?token=${SECRET.hashq}&tab=2`);
    const [done] = await collector.waitForItems('events', (e) => e.name === 'app_done');
    assert.equal(done.meta.page.url,
      `${o}/app?q=1&p%61ssword=REDACTED&X-Amz-Signature=REDACTED&jwt=REDACTED&customerId=REDACTED#/orders/7?token=REDACTED&tab=2`,
      'query values redacted by decoded, case-folded whole-token names; the hash route kept, its query redacted');
    const [nav] = await collector.waitForItems('events', (e) => e.name === 'faro.performance.navigation');
    // The navigation entry's name is the document URL (with or without its fragment): redacted the same way.
    assert.ok([done.meta.page.url, done.meta.page.url.split('#')[0]].includes(nav.attributes.name), nav.attributes.name);

    const spans = await waitFor(() => collector.spans().length >= 3 && collector.spans(), { what: '3 spans at the collector' });
    const urls = spans.map((sp) => sp.attributes.find((a) => a.key === 'url.full')?.value.stringValue).sort();
    assert.deepEqual(urls, [
      `${o}/api?pwd=REDACTED&Pass=REDACTED&author=ann`,
      `${o}/api?sig=REDACTED&%54OKEN=REDACTED&keyword=shoes&customer-id=REDACTED`,
      `${o}/api?x=1`,
    ], 'userinfo and fragments gone; keyword and author kept');
    const [resource] = await collector.waitForItems('events', (e) => e.name === 'faro.performance.resource' && e.attributes.initiatorType === 'fetch');
    assert.equal(resource.attributes.name, `${o}/api?sig=REDACTED&%54OKEN=REDACTED&keyword=shoes&customer-id=REDACTED`);

    // OAuth implicit flow: the tokens arrive in the fragment.
    await tab.goto(`${o}/cb#access_token=${SECRET.oauthAt}&id_token=${SECRET.oauthId}&state=xyz`);
    const [cb] = await collector.waitForItems('events', (e) => e.name === 'cb_done');
    assert.equal(cb.meta.page.url, `${o}/cb`, 'a fragment that is not a hash route is dropped');
    await collector.waitForItems('events', (e) => e.name === 'faro.performance.navigation' && e.meta.page.url === `${o}/cb`);

    // Everything the collector captured: request dumps (bodies and headers) and its log lines.
    const captured = ['dump.jsonl', 'log.jsonl'].map((f) => join(collector.dir, f)).filter(existsSync)
      .map((f) => readFileSync(f, 'utf8')).join('\n');
    assert.ok(captured.includes('app_done') && captured.includes('cb_done'));
    const found = Object.values(SECRET).filter((s) => captured.includes(s));
    assert.deepEqual(found, [], 'secrets found at the collector');
    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
    await site.stop();
    await collector.stop();
  }
});
