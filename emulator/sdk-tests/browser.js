// A real headless browser (Debian's chromium, driven by playwright-core):
// a page on another loopback origin loads the js-sdk bundle (js-sdk 1.8.4,
// 2.32.0 and 3.7.0, bundled here by esbuild for the browser) and signs in against the
// emulator, which must answer CORS, preflights included (v2 sends
// Authorization).
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const esbuild = require('esbuild');
const { chromium } = require('playwright-core');
const { assert, EMULATOR, ENV, ticket, users, run } = require('./lib/common');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function bundle(pkg, global) {
  const out = esbuild.buildSync({
    stdin: { contents: `window.${global} = require(${JSON.stringify(pkg)});`, resolveDir: __dirname },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
  });
  return out.outputFiles[0].text;
}

let server;
let pageOrigin;
let context;
let page;
let profile;
const requested = [];
const files = {};

function serve() {
  server = http.createServer((req, res) => {
    const body = files[req.url];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const type = req.url.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8';
    res.writeHead(200, { 'content-type': type }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    // "localhost" while the emulator is "127.0.0.1": another origin.
    pageOrigin = `http://localhost:${server.address().port}`;
    resolve();
  }));
}

const text = (e) => `${e && e.message} ${JSON.stringify(e)}`;

run('browser (chromium)', [
  ['bundle js-sdk 1.8.4, 2.32.0 and 3.7.0 for the browser', async () => {
    files['/v1.js'] = bundle('@cloudbase/js-sdk', 'cloudbase');
    files['/v2.js'] = bundle('cloudbase-js-sdk-v2', 'cloudbase2');
    files['/v3.js'] = bundle('js-sdk-v3', 'cloudbase3');
    // One page per SDK: js-sdk 2.x also claims window.cloudbase.
    for (const v of ['v1', 'v2', 'v3']) {
      files[`/${v}.html`] = `<!doctype html><meta charset="utf-8"><title>app</title><script src="/${v}.js"></script><p>app</p>`;
    }
    await serve();
  }],
  ['start headless chromium with a fresh profile', async () => {
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'emulator-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await context.newPage();
    // Every request the pages make, to show that none leaves this machine.
    page.on('request', (r) => requested.push(r.url()));
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
    await page.goto(`${pageOrigin}/v1.html`);
    assert.equal(await page.evaluate(() => typeof window.cloudbase.init), 'function');
  }],
  ['js-sdk 1.x signs in from another origin', async () => {
    const t = await ticket('browser_v1');
    const r = await page.evaluate(async ({ emulator, env, t }) => {
      const app = window.cloudbase.init({ env });
      window.cloudbase.registerEndPoint(`${emulator}/web`);
      const auth = app.auth({ persistence: 'local' });
      await auth.customAuthProvider().signIn(t);
      const info = await auth.getUserInfo();
      return { origin: location.origin, uid: info.uid, customUserId: info.customUserId, stored: localStorage.length };
    }, { emulator: EMULATOR, env: ENV, t });
    assert.equal(r.origin, pageOrigin);
    assert.notEqual(new URL(r.origin).host, new URL(EMULATOR).host);
    assert.equal(r.customUserId, 'browser_v1');
    assert.ok(r.stored > 0, 'the login state is in localStorage');
    assert.ok((await users()).users.some((u) => u.uid === r.uid && u.customUserId === 'browser_v1'));
  }],
  ['js-sdk 2.x signs in from another origin (preflighted Authorization)', async () => {
    const t = await ticket('browser_v2');
    await page.goto(`${pageOrigin}/v2.html`);
    const r = await page.evaluate(async ({ emulator, env, t }) => {
      const app = window.cloudbase2.init({ env });
      app.registerEndPoint(`//${new URL(emulator).host}/web`, 'http:');
      const auth = app.auth({ persistence: 'local' });
      const res = await auth.signInWithCustomTicket(async () => t);
      if (res.error) return { error: `${res.error.message} ${JSON.stringify(res.error)}` };
      const info = await auth.getUserInfo();
      return { sub: info.sub, providers: info.providers };
    }, { emulator: EMULATOR, env: ENV, t });
    assert.ok(!r.error, r.error);
    assert.deepEqual(r.providers, [{ id: 'custom', provider_user_id: 'browser_v2' }]);
    assert.ok((await users()).users.some((u) => u.uid === r.sub));
  }],
  ['js-sdk 3.x signs in from another origin (registerHost), every request to the emulator', async () => {
    const t = await ticket('browser_v3');
    await page.goto(`${pageOrigin}/v3.html`);
    const from = requested.length;
    const r = await page.evaluate(async ({ emulator, env, t }) => {
      const app = window.cloudbase3.init({ env });
      app.registerHost(new URL(emulator).host, 'http');
      const auth = app.auth({ persistence: 'local' });
      const res = await auth.signInWithCustomTicket(async () => t);
      if (res.error) return { error: `${res.error.message} ${JSON.stringify(res.error)}` };
      const info = await auth.getUserInfo();
      const refreshed = await auth.refreshSession();
      const out = await auth.signOut();
      return { sub: info.sub, providers: info.providers, refreshed: !refreshed.error, signedOut: !out.error };
    }, { emulator: EMULATOR, env: ENV, t });
    assert.ok(!r.error, r.error);
    assert.deepEqual(r.providers, [{ id: 'custom', provider_user_id: 'browser_v3' }]);
    assert.ok(r.refreshed && r.signedOut, JSON.stringify(r));
    const sdkRequests = requested.slice(from).filter((u) => !u.startsWith(pageOrigin));
    const emulatorOrigin = new URL(EMULATOR).origin;
    const elsewhere = sdkRequests.filter((u) => new URL(u).origin !== emulatorOrigin);
    assert.deepEqual(elsewhere, [], 'requests that did not go to the emulator');
    const paths = [...new Set(sdkRequests.map((u) => new URL(u).pathname))];
    for (const p of ['/auth/v1/signin/custom', '/auth/v1/user/me', '/auth/v1/token', '/auth/v1/revoke']) {
      assert.ok(paths.includes(p), `${p} in ${paths}`);
    }
    console.log(`ok   browser: js-sdk 3.x made ${sdkRequests.length} requests, all to ${emulatorOrigin}: ${paths.join(' ')}`);
  }],
  ['close the browser', async () => {
    await context.close();
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }],
]);
