// WeChat mini-program runs: the published miniprogram_dist bundles of
// @cloudbase/js-sdk 1.8.4, 2.32.0 and 3.7.0, each in a node `vm` context that
// holds only what a mini-program engine gives (wx, App, Page, getApp, timers,
// console): no window, fetch, URL, XMLHttpRequest or require. wx.request is
// a shim over node http that refuses any host but this machine's, so the
// SDK reaches the emulator only through the documented pointing recipe.
// Each bundle runs without and with @cloudbase/adapter-wx_mp: sign-in with a
// ticket, read the user, refresh after the access token expires, sign-out.
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const vm = require('node:vm');
const { assert, EMULATOR, ENV, ticket, users, sleep, run } = require('./lib/common');

const host = new URL(EMULATOR).host;
const requests = [];

/** The wx object of a mini program: requests over node http, storage in memory. */
function wxShim() {
  const store = new Map();
  const request = (options) => {
    const url = new URL(options.url.startsWith('//') ? `http:${options.url}` : options.url);
    requests.push(url.host + url.pathname);
    const done = (answer, ok) => {
      if (ok && options.success) options.success(answer);
      if (!ok && options.fail) options.fail(answer);
      if (options.complete) options.complete(answer);
    };
    if (url.host !== host) {
      setImmediate(() => done({ errMsg: `request:fail ${url.host} is not on the request-domain list of this test` }, false));
      return { abort() {} };
    }
    let body = options.data;
    const method = (options.method || 'GET').toUpperCase();
    if (method === 'GET') body = undefined;
    else if (body !== undefined && typeof body !== 'string') body = JSON.stringify(body);
    const req = http.request(url, { method, headers: options.header || {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let data = text;
        if (options.dataType !== 'text') {
          try { data = JSON.parse(text); } catch { /* not JSON */ }
        }
        done({ data, statusCode: res.statusCode, header: res.headers, errMsg: 'request:ok' }, true);
      });
    });
    req.on('error', (e) => done({ errMsg: `request:fail ${e.message}` }, false));
    if (body !== undefined) req.write(body);
    req.end();
    return { abort() { req.destroy(); }, onHeadersReceived() {}, offHeadersReceived() {} };
  };
  const sync = {
    setStorageSync: (k, v) => { store.set(k, v); },
    getStorageSync: (k) => (store.has(k) ? store.get(k) : ''),
    removeStorageSync: (k) => { store.delete(k); },
    clearStorageSync: () => { store.clear(); },
    getStorageInfoSync: () => ({ keys: [...store.keys()], currentSize: 0, limitSize: 10240 }),
  };
  const async = (fn) => (o = {}) => {
    try {
      const data = fn(o);
      if (o.success) o.success({ data, errMsg: 'ok' });
    } catch (e) {
      if (o.fail) o.fail({ errMsg: e.message });
    }
  };
  const system = {
    SDKVersion: '3.0.0', platform: 'devtools', system: 'test', brand: 'test', model: 'test',
    version: '8.0.0', language: 'en', pixelRatio: 2, windowWidth: 375, windowHeight: 667,
  };
  return {
    request,
    ...sync,
    setStorage: async((o) => sync.setStorageSync(o.key, o.data)),
    getStorage: async((o) => sync.getStorageSync(o.key)),
    removeStorage: async((o) => sync.removeStorageSync(o.key)),
    getSystemInfoSync: () => system,
    getSystemInfo: async(() => system),
    getDeviceInfo: () => system,
    getAppBaseInfo: () => system,
    getWindowInfo: () => system,
    getAccountInfoSync: () => ({ miniProgram: { appId: 'wx0000000000000000', envVersion: 'develop', version: '' } }),
    getLaunchOptionsSync: () => ({ path: 'pages/index/index', scene: 1001, query: {} }),
    getEnterOptionsSync: () => ({ path: 'pages/index/index', scene: 1001, query: {} }),
    getNetworkType: async(() => ({ networkType: 'wifi' })),
    onNetworkStatusChange() {},
    onAppShow() {},
    onAppHide() {},
    onError() {},
    canIUse: () => true,
    login: (o) => o && o.fail && o.fail({ errMsg: 'login:fail not in these tests' }),
    connectSocket: () => { throw new Error('not in these tests'); },
    uploadFile: () => { throw new Error('not in these tests'); },
    downloadFile: () => { throw new Error('not in these tests'); },
    getFileSystemManager: () => ({}),
    nextTick: (fn) => setImmediate(fn),
  };
}

/** Loads a CommonJS bundle into `context` (the mini program's module wrapper). */
function load(context, file) {
  const module = { exports: {} };
  const source = fs.readFileSync(file, 'utf8');
  const fn = vm.runInContext(`(function (module, exports, require) {${source}\n})`, context, { filename: file });
  fn(module, module.exports, (name) => { throw new Error(`require(${name}): no such module in this mini program`); });
  return module.exports.default && module.exports.default.init ? module.exports.default : module.exports;
}

function miniProgram() {
  let app;
  const context = vm.createContext({
    wx: wxShim(),
    App: (o) => { app = o; },
    Page: () => {},
    getApp: () => app,
    console,
    setTimeout, clearTimeout, setInterval, clearInterval,
  });
  vm.runInContext('App({ globalData: {} })', context);
  for (const g of ['window', 'fetch', 'URL', 'XMLHttpRequest', 'require', 'process']) {
    assert.equal(vm.runInContext(`typeof ${g}`, context), 'undefined', `${g} in the mini program`);
  }
  return context;
}

const nm = path.join(__dirname, 'node_modules');
const bundles = {
  '1.8.4': path.join(nm, '@cloudbase/js-sdk/miniprogram_dist/index.js'),
  '2.32.0': path.join(nm, 'cloudbase-js-sdk-v2/miniprogram_dist/index.js'),
  '3.7.0': path.join(nm, 'js-sdk-v3/miniprogram_dist/index.js'),
};
const adapterFile = path.join(nm, '@cloudbase/adapter-wx_mp/dist/index.js');

/** Sign-in, user, refresh, sign-out with one bundle; the documented recipe of its major. */
async function flow(version, withAdapter) {
  const context = miniProgram();
  const cloudbase = load(context, bundles[version]);
  if (withAdapter) {
    const adapter = load(context, adapterFile);
    cloudbase.useAdapters(adapter.default || adapter);
  }
  const major = version[0];
  const customUserId = `mp${major}_${withAdapter ? 'adapter' : 'plain'}`;
  // 1.x in a mini program wants the app's security credentials (console,
  // "mobile app security source"), sent as X-TCB-App-Source; the emulator
  // does not check them.
  const app = cloudbase.init(major === '1'
    ? { env: ENV, appSign: 'wx0000000000000000', appSecret: { appAccessKeyId: '1', appAccessKey: 'local-test-key' } }
    : { env: ENV });
  if (major === '1') cloudbase.registerEndPoint(`http://${host}/web`);
  if (major === '2') app.registerEndPoint(`//${host}/web`, 'http:');
  if (major === '3') app.registerHost(host, 'http');
  const auth = app.auth({ persistence: 'local' });
  const from = requests.length;
  // 1.x: access tokens of 2 s; 2.x and 3.x refresh 30 s before expires_in.
  const t = await ticket(customUserId, { refresh: major === '1' ? 2000 : 32000 });
  let uid;
  if (major === '1') {
    await auth.customAuthProvider().signIn(t);
    uid = (await auth.getUserInfo()).uid;
  } else {
    auth.setCustomSignFunc(async () => t);
    const res = await auth.signInWithCustomTicket();
    assert.ok(!res || !res.error, JSON.stringify(res && res.error));
    const info = await auth.getUserInfo();
    uid = info.sub;
    assert.deepEqual(JSON.parse(JSON.stringify(info.providers)), [{ id: 'custom', provider_user_id: customUserId }]);
  }
  assert.match(uid, /^[0-9a-f]{32}$/);
  const token = async () => (await auth.getAccessToken()).accessToken;
  const before = await token();
  await sleep(major === '1' ? 3100 : 2600);
  const again = await auth.getUserInfo();
  assert.equal(again.uid || again.sub, uid, 'the same user after the refresh');
  assert.notEqual(await token(), before, 'a new access token');
  const live = async () => (await users()).sessions.filter((s) => s.uid === uid).length;
  assert.equal(await live(), 1);
  const out = await auth.signOut();
  assert.ok(!out || !out.error, JSON.stringify(out && out.error));
  assert.equal(await live(), 0, 'signed out at the emulator');
  const made = requests.slice(from);
  const elsewhere = made.filter((r) => !r.startsWith(`${host}/`));
  assert.deepEqual(elsewhere, [], 'wx.request calls that were not for the emulator');
  return [...new Set(made.map((r) => r.slice(host.length)))].join(' ');
}

const steps = [];
for (const version of Object.keys(bundles)) {
  for (const withAdapter of [false, true]) {
    steps.push([`js-sdk ${version} miniprogram_dist ${withAdapter ? 'with' : 'without'} adapter-wx_mp: sign in, user, refresh, sign out`, async () => {
      const paths = await flow(version, withAdapter);
      console.log(`     wx.request, all to the emulator: ${paths}`);
    }]);
  }
}
// The README's 2.x and 3.x samples, as printed, in the mini program: their
// require('@cloudbase/js-sdk') is the miniprogram_dist bundle.
for (const [sample, version] of [['js-sdk-2', '2.32.0'], ['js-sdk-3', '3.7.0']]) {
  steps.push([`samples/${sample}.js runs as printed on the ${version} miniprogram_dist bundle`, async () => {
    const context = miniProgram();
    const cloudbase = load(context, bundles[version]);
    const module = { exports: {} };
    const source = fs.readFileSync(path.join(__dirname, 'samples', `${sample}.js`), 'utf8');
    vm.runInContext(`(function (module, exports, require) {${source}\n})`, context)(module, module.exports, (name) => {
      assert.equal(name, '@cloudbase/js-sdk');
      return cloudbase;
    });
    const customUserId = `mp_sample_${version[0]}`;
    const from = requests.length;
    const me = await module.exports.signIn({ env: ENV, ticket: await ticket(customUserId), emulator: host });
    assert.equal(me.customUserId, customUserId);
    assert.ok((await users()).users.some((u) => u.uid === me.uid && u.customUserId === customUserId));
    assert.deepEqual(requests.slice(from).filter((r) => !r.startsWith(`${host}/`)), []);
  }]);
}
run('mini program (vm)', steps);
