// A `uni` global for the uniCloud client under Node: storage in memory and
// `uni.request` on the global fetch, with CloudBase's hard-coded hosts
// rewritten to the emulator (the SDK has no endpoint setting).
'use strict';

function install(emulator) {
  const store = new Map();
  const target = new URL(emulator);
  globalThis.uni = {
    request(options) {
      const url = new URL(options.url.startsWith('//') ? `http:${options.url}` : options.url);
      const headers = { ...(options.header || {}) };
      if (url.hostname.endsWith('tencentcloudapi.com')) {
        // The env of v2 calls is the first label of this host.
        headers['x-forwarded-host'] = url.host;
        url.protocol = target.protocol;
        url.host = target.host;
      }
      const method = options.method || 'GET';
      let body;
      if (method !== 'GET' && options.data !== undefined) {
        body = typeof options.data === 'string' ? options.data : JSON.stringify(options.data);
      }
      fetch(url, { method, headers, body })
        .then(async (res) => {
          const textBody = await res.text();
          let data = textBody;
          try { data = JSON.parse(textBody); } catch { /* not JSON */ }
          const header = {};
          res.headers.forEach((v, k) => { header[k] = v; });
          const answer = { data, statusCode: res.status, status: res.status, header };
          if (options.success) options.success(answer);
          if (options.complete) options.complete(answer);
        })
        .catch((err) => {
          const e = { errMsg: `request:fail ${err.message}` };
          if (options.fail) options.fail(e);
          if (options.complete) options.complete(e);
        });
      return { abort() {} };
    },
    uploadFile() { throw new Error('not in these tests'); },
    connectSocket() { throw new Error('not in these tests'); },
    setStorageSync: (k, v) => store.set(k, v),
    getStorageSync: (k) => (store.has(k) ? store.get(k) : ''),
    removeStorageSync: (k) => store.delete(k),
    clearStorageSync: () => store.clear(),
    getSystemInfoSync: () => ({ platform: 'node', osName: 'linux', uniPlatform: 'web', appId: '__UNI__TEST', deviceId: 'test-device', appName: 'test', appVersion: '1.0.0', appVersionCode: 100, appLanguage: 'en' }),
    getAppBaseInfo: () => ({ appId: '__UNI__TEST', appName: 'test', appVersion: '1.0.0', appLanguage: 'en' }),
    getDeviceInfo: () => ({ deviceId: 'test-device', platform: 'node' }),
    getLocale: () => 'en',
    onLocaleChange() {},
    addInterceptor() {},
    $on() {},
    $emit() {},
  };
  return store;
}

module.exports = { install };
