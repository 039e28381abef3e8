// Runs one client sample of samples/ (the files the README shows) against the
// emulator, as printed: `node samples.js SAMPLE [SET_DIR]`. The sample
// requires the SDK by its npm name; here that name resolves to the version
// under test (an alias of package.json, or the SDK of a matrix set).
'use strict';

const Module = require('node:module');
const path = require('node:path');
require('./lib/shims');
const { assert, EMULATOR, ENV, ticket, users, run } = require('./lib/common');

const [sample, setDir] = process.argv.slice(2);
const alias = { 'js-sdk-2': 'cloudbase-js-sdk-v2', 'js-sdk-3': 'js-sdk-v3' }[sample];
const name = { 'tcb-js-sdk': 'tcb-js-sdk', 'uni-cloud': '@dcloudio/uni-cloud' }[sample] || '@cloudbase/js-sdk';
const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveUnderTest(request, parent, ...rest) {
  if (request === name || request.startsWith(`${name}/`)) {
    const base = setDir ? path.resolve(setDir, 'node_modules', request) : (alias ? request.replace(name, alias) : request);
    return resolve.call(this, base, parent, ...rest);
  }
  return resolve.call(this, request, parent, ...rest);
};
if (sample === 'uni-cloud') require('./lib/uni').install(EMULATOR);
const { signIn } = require(`./samples/${sample}.js`);

run(`sample ${sample}${setDir ? ` (${path.basename(setDir)})` : ''}`, [
  ['signs in as printed and reads the user', async () => {
    const customUserId = `sample_${sample.replace(/-/g, '')}`.slice(0, 32);
    const t = await ticket(customUserId);
    const me = await signIn({ env: ENV, spaceId: ENV, ticket: t, emulator: new URL(EMULATOR).host });
    assert.equal(me.customUserId, customUserId);
    assert.match(me.uid, /^[0-9a-f]{32}$/);
    const state = await users();
    assert.ok(state.users.some((u) => u.uid === me.uid && u.customUserId === customUserId), 'the emulator has the user');
    assert.equal(state.sessions.filter((s) => s.uid === me.uid).length, 1, 'one live session');
  }],
]);
