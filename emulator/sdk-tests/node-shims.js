// Node shims for the CloudBase client SDKs (js-sdk 1.x, 2.x, tcb-js-sdk, and
// 3.x's browser code paths): the browser globals their web adapters need
// under Node 20 or later: window, localStorage and sessionStorage (in
// memory), an XMLHttpRequest built on the global fetch, and a WebSocket stub.
//
//   require('./node-shims'); // before requiring the SDK
//
// Copy this file next to your script (it needs nothing but Node). In a
// browser or a mini program none of it is needed.
'use strict';

class MemoryStorage {
  constructor() { this.map = new Map(); }
  get length() { return this.map.size; }
  key(i) { return [...this.map.keys()][i] ?? null; }
  getItem(k) { return this.map.has(String(k)) ? this.map.get(String(k)) : null; }
  setItem(k, v) { this.map.set(String(k), String(v)); }
  removeItem(k) { this.map.delete(String(k)); }
  clear() { this.map.clear(); }
}

class FetchXMLHttpRequest {
  constructor() {
    this.readyState = 0;
    this.status = 0;
    this.responseText = '';
    this.response = null;
    this.responseType = '';
    this.timeout = 0;
    this.withCredentials = false;
    this.headers = {};
    this.responseHeaders = new Headers();
    this.upload = { addEventListener() {}, onprogress: null };
    this.listeners = {};
  }
  open(method, url) { this.method = method; this.url = url; this.readyState = 1; }
  setRequestHeader(k, v) { this.headers[k] = v; }
  getResponseHeader(k) { return this.responseHeaders.get(k); }
  getAllResponseHeaders() {
    let s = '';
    this.responseHeaders.forEach((v, k) => { s += `${k}: ${v}\r\n`; });
    return s;
  }
  addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); }
  removeEventListener(type, fn) {
    this.listeners[type] = (this.listeners[type] || []).filter((f) => f !== fn);
  }
  emit(type) {
    const ev = { type, target: this, currentTarget: this };
    if (typeof this['on' + type] === 'function') this['on' + type](ev);
    for (const fn of this.listeners[type] || []) fn(ev);
  }
  abort() { this.aborted = true; }
  send(body) {
    let url = this.url;
    if (url.startsWith('//')) url = 'http:' + url;
    fetch(url, { method: this.method, headers: this.headers, body: body ?? undefined })
      .then(async (res) => {
        this.status = res.status;
        this.responseHeaders = res.headers;
        this.responseText = await res.text();
        if (this.responseType === 'json') {
          try { this.response = JSON.parse(this.responseText); } catch { this.response = null; }
        } else {
          this.response = this.responseText;
        }
        this.readyState = 4;
        this.emit('readystatechange');
        this.emit('load');
        this.emit('loadend');
      })
      .catch((err) => {
        this.error = err;
        this.readyState = 4;
        this.emit('readystatechange');
        this.emit('error');
        this.emit('loadend');
      });
  }
}
FetchXMLHttpRequest.UNSENT = 0;
FetchXMLHttpRequest.OPENED = 1;
FetchXMLHttpRequest.DONE = 4;

class WebSocketStub {
  constructor() { throw new Error('WebSocket is not available in these tests'); }
}

const g = globalThis;
g.localStorage = new MemoryStorage();
g.sessionStorage = new MemoryStorage();
g.XMLHttpRequest = FetchXMLHttpRequest;
g.WebSocket = WebSocketStub;
g.window = g;
g.self = g;
g.location = new URL('http://localhost/');
g.document = g.document || {
  cookie: '',
  createElement: () => ({ setAttribute() {}, style: {} }),
  getElementsByTagName: () => [],
  getElementById: () => null, // @cloudbase/oauth 2.0 looks for its captcha panel
  addEventListener() {},
  head: { appendChild() {} },
  body: { appendChild() {} },
};
if (!g.navigator || !g.navigator.userAgent) {
  try { g.navigator = { userAgent: 'node' }; } catch { /* read-only on newer Node */ }
}
g.addEventListener = g.addEventListener || (() => {});
g.removeEventListener = g.removeEventListener || (() => {});

module.exports = { MemoryStorage };
