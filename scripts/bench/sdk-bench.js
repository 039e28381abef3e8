#!/usr/bin/env node
// Benchmark / reference harness for the official @cloudbase/node-sdk createTicket.
//
// Usage (Node >= 20, CommonJS; the SDK must be resolvable via NODE_PATH, a
// node_modules next to this script, or node_modules in the current directory):
//
//   node sdk-bench.js CREDS.json UID N [NOW_MS] [--warmup W]
//       Times N sequential app.auth().createTicket(UID) calls on one thread
//       after W warm-up calls. If NOW_MS is given the clock is frozen to it.
//       Prints two stdout lines: sdk_tickets_per_s=650.2 (by the wall clock) and
//       sdk_tickets_per_cpu_s=655.0 (by the process's user + system CPU time).
//       (diagnostics go to stderr).
//
//   node sdk-bench.js --check CREDS.json UID NOW_MS [--refresh MS] [--expire MS]
//       Freezes the clock at NOW_MS and prints the ticket (one line).
//
//   node sdk-bench.js --verify-fixtures tests/fixtures/tickets.json tests/fixtures/keys
//       Re-creates every vector in the fixture file with a frozen clock and
//       compares byte for byte. Prints "fixtures_ok=K/T"; exit 1 on mismatch.
//
// CREDS.json is {"private_key_id", "private_key", "env_id"}; it is passed to
// tcb.init({env: env_id, credentials}) exactly as a user would.
//
// Clock: SDK 3.18.3 dist/auth/index.js createTicket does
//   const timestamp = new Date().getTime();
// (NOT Date.now()), and jsonwebtoken 9 keeps payload.iat when it is truthy and
// otherwise calls Date.now(). So both `new Date()` and Date.now are frozen here.
'use strict';

const fs = require('fs');
const path = require('path');

const RealDate = Date;
let frozenMs = null;

function freezeClock(ms) {
  frozenMs = ms;
  if (global.Date !== RealDate) return;
  function FrozenDate(...args) {
    if (!new.target) return new RealDate(frozenMs).toString(); // Date() as a function
    return args.length === 0 ? new RealDate(frozenMs) : new RealDate(...args);
  }
  FrozenDate.prototype = RealDate.prototype; // instanceof Date keeps working
  FrozenDate.now = () => frozenMs;
  FrozenDate.parse = RealDate.parse;
  FrozenDate.UTC = RealDate.UTC;
  global.Date = FrozenDate;
}

function loadSdk() {
  const candidates = [
    () => require('@cloudbase/node-sdk'),
    () => require(require.resolve('@cloudbase/node-sdk', { paths: [process.cwd()] })),
  ];
  let lastErr;
  for (const c of candidates) {
    try {
      return c();
    } catch (e) {
      lastErr = e;
    }
  }
  throw new Error('cannot load @cloudbase/node-sdk (set NODE_PATH?): ' + lastErr.message);
}

function parseArgs(argv) {
  const pos = [];
  const opt = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check' || a === '--verify-fixtures') opt.mode = a.slice(2);
    else if (a === '--warmup' || a === '--refresh' || a === '--expire') opt[a.slice(2)] = argv[++i];
    else if (a === '-h' || a === '--help') opt.help = true;
    else pos.push(a);
  }
  return { pos, opt };
}

function num(s, what) {
  if (s === undefined || !/^\d+$/.test(String(s))) throw new Error(`${what} must be a non-negative integer, got ${s}`);
  return Number(s);
}

function makeApp(tcb, creds) {
  for (const k of ['private_key_id', 'private_key', 'env_id']) {
    if (typeof creds[k] !== 'string') throw new Error(`credentials missing string field ${k}`);
  }
  return tcb.init({ env: creds.env_id, credentials: creds });
}

function ticketOptions(opt) {
  const o = {};
  if (opt.refresh !== undefined) o.refresh = num(opt.refresh, '--refresh');
  if (opt.expire !== undefined) o.expire = num(opt.expire, '--expire');
  return o;
}

function usage() {
  process.stderr.write(
    'usage:\n' +
      '  node sdk-bench.js CREDS.json UID N [NOW_MS] [--warmup W]\n' +
      '  node sdk-bench.js --check CREDS.json UID NOW_MS [--refresh MS] [--expire MS]\n' +
      '  node sdk-bench.js --verify-fixtures TICKETS.json KEYDIR\n'
  );
}

async function main() {
  const { pos, opt } = parseArgs(process.argv.slice(2));
  if (opt.help) {
    usage();
    return 0;
  }

  if (opt.mode === 'check') {
    if (pos.length !== 3) {
      usage();
      return 2;
    }
    const [credPath, uid, now] = pos;
    freezeClock(num(now, 'NOW_MS'));
    const tcb = loadSdk();
    const app = makeApp(tcb, JSON.parse(fs.readFileSync(credPath, 'utf8')));
    process.stdout.write(app.auth().createTicket(uid, ticketOptions(opt)) + '\n');
    return 0;
  }

  if (opt.mode === 'verify-fixtures') {
    if (pos.length !== 2) {
      usage();
      return 2;
    }
    const [fixPath, keyDir] = pos;
    freezeClock(0);
    const tcb = loadSdk();
    const vectors = JSON.parse(fs.readFileSync(fixPath, 'utf8'));
    let ok = 0;
    vectors.forEach((v, i) => {
      frozenMs = v.now;
      const creds = {
        private_key_id: v.kid,
        private_key: fs.readFileSync(path.join(keyDir, v.key), 'utf8'),
        env_id: v.env,
      };
      let got;
      try {
        got = makeApp(tcb, creds).auth().createTicket(v.uid, Object.assign({}, v.options || {}));
      } catch (e) {
        got = 'ERROR: ' + e.message;
      }
      if (got === v.ticket) ok++;
      else process.stderr.write(`vector ${i} (${v.key}, uid ${JSON.stringify(v.uid)}) MISMATCH\n  want ${v.ticket}\n  got  ${got}\n`);
    });
    process.stdout.write(`fixtures_ok=${ok}/${vectors.length}\n`);
    return ok === vectors.length ? 0 : 1;
  }

  // Benchmark mode.
  if (pos.length < 3 || pos.length > 4) {
    usage();
    return 2;
  }
  const [credPath, uid, nStr, nowStr] = pos;
  const n = num(nStr, 'N');
  if (n < 1) throw new Error('N must be >= 1');
  if (nowStr !== undefined) freezeClock(num(nowStr, 'NOW_MS'));
  const warmup = opt.warmup !== undefined ? num(opt.warmup, '--warmup') : Math.min(500, Math.max(50, Math.floor(n / 10)));

  const tcb = loadSdk();
  const app = makeApp(tcb, JSON.parse(fs.readFileSync(credPath, 'utf8')));
  const auth = app.auth();

  // tcb.init fires an async, non-awaited cloud-platform preflight (metadata
  // lookup with a short timeout); let it settle so it does not run inside the
  // timed loop.
  await new Promise((r) => setTimeout(r, 300));

  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += auth.createTicket(uid).length;

  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += auth.createTicket(uid).length;
  const t1 = process.hrtime.bigint();
  const c1 = process.cpuUsage(c0);

  const secs = Number(t1 - t0) / 1e9;
  const rate = n / secs;
  process.stderr.write(
    `sdk ${tcb.version} node ${process.version}: ${n} tickets (+${warmup} warm-up) in ${secs.toFixed(3)} s, ` +
      `avg ticket ${(sink / (n + warmup)).toFixed(0)} bytes\n`
  );
  process.stdout.write(`sdk_tickets_per_s=${rate.toFixed(1)}\n`);
  const cpuSecs = (c1.user + c1.system) / 1e6;
  process.stdout.write(`sdk_tickets_per_cpu_s=${(n / cpuSecs).toFixed(1)}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write('sdk-bench: ' + (err && err.stack ? err.stack : err) + '\n');
    process.exit(1);
  }
);
