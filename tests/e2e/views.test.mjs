// Page views and sessions as the agent counts them (issue 18) and the page following a single-page
// app's routes (issue 15): a `session_start` event when a session begins, a `page_view` at start
// (with the hard navigation's type) and at each pushState/popstate to another URL (a new page id,
// the page URL redacted as at start); replaceState moves the URL within the same view. Items made
// before a route change keep the old page, those after it carry the new one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, startStatic, launchBrowser, agentPage, html, openPage } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const views = (c) => c.items('events').filter((e) => e.name === 'page_view');

test('a session_start, a page_view per view with its navigation type, and the page URL and id following the routes', async () => {
  const collector = await startCollector();
  const page = (req) => agentPage({ config: { url: collector.url, app: { name: 'views' }, batching: { sendTimeout: 100 } }, after: `
    window.go = async (step) => {
      if (step == 'push') { rum.pushEvent('before-push'); history.pushState({}, '', '/cart?token=s3cret&item=7'); rum.pushEvent('after-push'); }
      if (step == 'replace') { history.replaceState({}, '', '/cart?step=2'); rum.pushEvent('after-replace'); }
      if (step == 'hash') { history.pushState({}, '', '/cart?step=2#details'); rum.pushEvent('after-hash'); }
      if (step == 'back') { await new Promise((r) => { addEventListener('popstate', r, { once: true }); history.go(-2); }); rum.pushEvent('after-back'); }
      await rum.flush();
    };
    window.ready = true;` });
  const site = await startStatic({ routes: { '/': html(page), '/cart': html(page) } });
  const s = await openPage(browser);
  try {
    await s.page.goto(`${site.origin}/`);
    await s.page.waitForFunction(() => window.ready);
    const [start] = await collector.waitForItems('events', (e) => e.name === 'session_start');
    assert.deepEqual(start.attributes, { session_sampled: 'true', sampling_rate: '1' });
    assert.equal(start.domain, 'browser');
    const [first] = await collector.waitForItems('events', (e) => e.name === 'page_view');
    assert.deepEqual(first.attributes, { navigation_type: 'navigate', session_sampled: 'true', sampling_rate: '1' });
    assert.equal(first.meta.page.url, `${site.origin}/`);
    assert.equal(first.meta.session.id, start.meta.session.id);

    await s.page.evaluate(() => window.go('push'));
    const [, pushed] = await collector.waitForItems('events', (e) => e.name === 'page_view', { count: 2 });
    assert.equal(pushed.attributes.navigation_type, 'route-change');
    assert.equal(pushed.meta.page.url, `${site.origin}/cart?token=REDACTED&item=7`, 'redacted as the page URL at start');
    assert.notEqual(pushed.meta.page.id, first.meta.page.id, 'a new view has its own page id');
    const [beforePush] = await collector.waitForItems('events', (e) => e.name === 'before-push');
    const [afterPush] = await collector.waitForItems('events', (e) => e.name === 'after-push');
    assert.equal(beforePush.meta.page.id, first.meta.page.id, 'an item made before the change keeps its page');
    assert.equal(beforePush.meta.page.url, `${site.origin}/`);
    assert.equal(afterPush.meta.page.id, pushed.meta.page.id);
    assert.equal(afterPush.meta.view.name, '/cart', 'the view name follows as before');

    await s.page.evaluate(() => window.go('replace'));
    const [afterReplace] = await collector.waitForItems('events', (e) => e.name === 'after-replace');
    assert.equal(afterReplace.meta.page.url, `${site.origin}/cart?step=2`);
    assert.equal(afterReplace.meta.page.id, pushed.meta.page.id, 'replaceState is the same view');
    await s.page.evaluate(() => window.go('hash'));
    const [afterHash] = await collector.waitForItems('events', (e) => e.name === 'after-hash');
    assert.equal(afterHash.meta.page.id, pushed.meta.page.id, 'a fragment is not a route');

    await s.page.evaluate(() => window.go('back'));
    const [afterBack] = await collector.waitForItems('events', (e) => e.name === 'after-back');
    assert.equal(afterBack.meta.page.url, `${site.origin}/`);
    assert.equal(views(collector).length, 3, 'views: the load, the push, the way back');
    assert.equal(afterBack.meta.page.id, views(collector)[2].meta.page.id);

    // A reload is a new view of the same session: no new session_start.
    await s.page.reload();
    await collector.waitForItems('events', (e) => e.name === 'page_view' && e.attributes.navigation_type === 'reload');
    assert.equal(collector.items('events').filter((e) => e.name === 'session_start').length, 1);
    assert.deepEqual(s.pageErrors, []);
  } finally {
    await s.close();
    await site.stop();
    await collector.stop();
  }
});

test('a sampled-out session sends no view until an exception promotes it, and then says its head decision', async () => {
  const collector = await startCollector();
  const site = await startStatic({ routes: { '/': html(agentPage({ config: { url: collector.url, app: { name: 'views' }, batching: { sendTimeout: 100 }, sessionTracking: { samplingRate: 0 } }, after: `
    await rum.flush();
    window.held = true;` })) } });
  const s = await openPage(browser);
  try {
    await s.page.goto(`${site.origin}/`);
    await s.page.waitForFunction(() => window.held);
    await s.page.evaluate(() => rum.flush());
    assert.equal(collector.items('events').length, 0, 'nothing is sent while the session is not sampled');
    await s.page.evaluate(() => { rum.pushError(new Error('promotes')); return rum.flush(); });
    const [view] = await collector.waitForItems('events', (e) => e.name === 'page_view');
    assert.deepEqual(view.attributes, { navigation_type: 'navigate', session_sampled: 'false', sampling_rate: '0' });
    const [start] = await collector.waitForItems('events', (e) => e.name === 'session_start');
    assert.equal(start.attributes.session_sampled, 'false', 'a promoted session keeps its head decision');
  } finally {
    await s.close();
    await site.stop();
    await collector.stop();
  }
});
