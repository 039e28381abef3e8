// What every SDK script shares: settings from the environment (set by
// emulator/tests/sdks.rs), tickets from create-ticket over HTTP, the
// emulator's admin API, and small assertions.
'use strict';

const assert = require('node:assert/strict');

const EMULATOR = process.env.EMULATOR_URL; // http://127.0.0.1:PORT
const ENV = process.env.EMULATOR_ENV;
const TICKET_URL = process.env.CREATE_TICKET_URL;
const TICKET_KEY = process.env.CREATE_TICKET_API_KEY;
const EXPIRED_TICKET = process.env.EXPIRED_TICKET;
for (const [k, v] of Object.entries({ EMULATOR, ENV, TICKET_URL, TICKET_KEY, EXPIRED_TICKET })) {
  if (!v) throw new Error(`missing setting ${k}`);
}

/** A ticket from create-ticket (api-key mode) for `customUserId`. */
async function ticket(customUserId, options = {}) {
  const res = await fetch(TICKET_URL, {
    method: 'POST',
    headers: { authorization: `Bearer ${TICKET_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customUserId, ...options }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, `create-ticket: ${JSON.stringify(body)}`);
  return body.ticket;
}

/** A ticket whose signature is not the key's: the last character changed. */
function forge(t) {
  const last = t.at(-2) === 'A' ? 'B' : 'A';
  return t.slice(0, -2) + last + t.at(-1);
}

/** The emulator's view of the env's users and live sessions. */
async function users() {
  const res = await fetch(`${EMULATOR}/emulator/v1/envs/${ENV}/users`);
  return res.json();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn`, expects it to throw, returns the error's text. */
async function rejects(fn, pattern, what) {
  let error;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error, `${what}: expected an error`);
  const text = `${error && error.message} ${JSON.stringify(error)}`;
  if (pattern) assert.match(text, pattern, `${what}: ${text}`);
  return text;
}

/**
 * The requests lib/shims.js saw (fetch, XMLHttpRequest, http, https) that
 * were meant for another machine: it refused them all. The probes of
 * Tencent Cloud's instance metadata (js-sdk 3.x's Node adapter asks
 * http://metadata.tencentyun.com/latest/meta-data/app-id once to tag its run
 * environment; no ticket or token in it) are counted apart; anything else
 * is a failure.
 */
function offLoopback() {
  const requests = globalThis.__sdkRequests || [];
  const emulatorHost = new URL(EMULATOR).host;
  const off = requests.filter((r) => !/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(r.host));
  const isProbe = (r) => r.host === 'metadata.tencentyun.com' && r.path.startsWith('/latest/meta-data/');
  return {
    elsewhere: off.filter((r) => !isProbe(r)),
    probes: off.filter(isProbe).length,
    total: requests.length,
    paths: [...new Set(requests.filter((r) => r.host === emulatorHost).map((r) => r.path))],
  };
}

/** Runs the named steps in order, printing each; exits 1 on the first failure. */
async function run(name, steps) {
  const started = Date.now();
  // A clean environment, so that a script can be run again by hand.
  await fetch(`${EMULATOR}/emulator/v1/envs/${ENV}/users`, { method: 'DELETE' });
  for (const [label, step] of steps) {
    try {
      await step();
      console.log(`ok   ${name}: ${label}`);
    } catch (e) {
      console.log(`FAIL ${name}: ${label}\n${e && e.stack ? e.stack : e}`);
      process.exit(1);
    }
  }
  if (globalThis.__sdkRequests) {
    const { elsewhere, probes, total, paths } = offLoopback();
    if (elsewhere.length) {
      console.log(`FAIL ${name}: requests left this machine: ${JSON.stringify(elsewhere)}`);
      process.exit(1);
    }
    console.log(`ok   ${name}: all ${total} requests stayed on loopback${probes ? ` (${probes} metadata probes blocked)` : ''}; emulator paths: ${paths.join(' ')}`);
  }
  console.log(`done ${name} in ${Date.now() - started} ms`);
  process.exit(0);
}

module.exports = { assert, EMULATOR, ENV, EXPIRED_TICKET, ticket, forge, users, sleep, rejects, run, offLoopback };
