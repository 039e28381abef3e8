// The Node shims users get (../node-shims.js), plus a record of every request
// the SDKs make and a refusal of any to a host other than this machine: the
// tests show that nothing went to CloudBase's hosts.
'use strict';

const { MemoryStorage } = require('../node-shims');

const g = globalThis;
// Every request the SDKs make, and a refusal of any to a host other than
// this machine: a test shows that nothing went to CloudBase's hosts.
const requests = [];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
function guard(url, via) {
  const u = new URL(String(url).startsWith('//') ? `http:${url}` : String(url), 'http://localhost/');
  requests.push({ via, host: u.host, path: u.pathname });
  if (!LOOPBACK.has(u.hostname)) {
    throw new Error(`a request to ${u.host} (${via}): only loopback hosts are allowed in these tests`);
  }
}
const realFetch = g.fetch;
g.fetch = (input, init) => {
  guard(typeof input === 'string' || input instanceof URL ? input : input.url, 'fetch');
  return realFetch(input, init);
};
for (const mod of ['node:http', 'node:https']) {
  const m = require(mod);
  for (const fn of ['request', 'get']) {
    const real = m[fn];
    m[fn] = function guarded(a, ...rest) {
      const url = typeof a === 'string' || a instanceof URL ? a
        : `${mod.slice(5)}://${a.hostname || a.host || 'localhost'}${a.port ? `:${a.port}` : ''}${a.path || '/'}`;
      guard(url, mod.slice(5));
      return real.call(this, a, ...rest);
    };
  }
}

g.__sdkRequests = requests;

module.exports = { MemoryStorage, requests };
