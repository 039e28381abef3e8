// tcb-js-sdk 1.10.10 against the emulator (v1 protocol), through its public
// API only. The endpoint has no setter: BASE_URL is read on every request.
'use strict';

require('./lib/shims');
const { assert, EMULATOR, ENV, EXPIRED_TICKET, ticket, forge, users, sleep, rejects, run } = require('./lib/common');
const tcb = require('tcb-js-sdk');
require('tcb-js-sdk/dist/types').BASE_URL = `//${new URL(EMULATOR).host}/web`;

const app = tcb.init({ env: ENV });
const auth = app.auth({ persistence: 'local' });
console.warn = () => {}; // getUserInfo() prints a deprecation notice each call

let uid;
let anonUid;

run('tcb-js-sdk 1.10.10', [
  ['custom sign-in with a create-ticket ticket', async () => {
    await auth.customAuthProvider().signIn(await ticket('tcb_user', { refresh: 2000 }));
    assert.ok(auth.hasLoginState(), 'a login state');
    const info = await auth.getUserInfo();
    assert.equal(info.customUserId, 'tcb_user');
    assert.equal(info.loginType, 'CUSTOM');
    uid = info.uid;
    assert.match(uid, /^[0-9a-f]{32}$/);
  }],
  ['automatic refresh after the access token expires', async () => {
    const { accessToken: before } = await auth.getAccessToken();
    await sleep(3100);
    const info = await auth.getUserInfo();
    assert.equal(info.uid, uid, JSON.stringify(info));
    const { accessToken: after } = await auth.getAccessToken();
    assert.notEqual(after, before, 'a new access token');
  }],
  ['sign-out ends the session at the emulator', async () => {
    await auth.signOut();
    assert.equal((await users()).sessions.filter((s) => s.uid === uid).length, 0);
    assert.ok(!auth.hasLoginState());
  }],
  ['an expired ticket is refused', async () => {
    await rejects(() => auth.customAuthProvider().signIn(EXPIRED_TICKET), /TICKET_EXPIRED/, 'expired');
  }],
  ['a forged ticket is refused', async () => {
    const t = await ticket('tcb_forged');
    await rejects(() => auth.customAuthProvider().signIn(forge(t)), /TICKET_SIGNATURE_INVALID/, 'forged');
  }],
  ['anonymous sign-in, then linking with a ticket keeps the uid', async () => {
    await auth.anonymousAuthProvider().signIn();
    const anon = await auth.getUserInfo();
    assert.equal(anon.loginType, 'ANONYMOUS');
    anonUid = anon.uid;
    await auth.linkAndRetrieveDataWithTicket(await ticket('tcb_linked'));
    const info = await auth.getUserInfo();
    assert.equal(info.uid, anonUid);
    assert.equal(info.customUserId, 'tcb_linked');
  }],
  ['linking a customUserId already registered is refused', async () => {
    // After linkAndRetrieveDataWithTicket the client keeps its local login
    // type ANONYMOUS (a client bug) and refuses signOut(); start afresh.
    localStorage.clear();
    await auth.anonymousAuthProvider().signIn();
    assert.notEqual((await auth.getUserInfo()).uid, anonUid, 'a new anonymous user');
    await rejects(
      async () => auth.linkAndRetrieveDataWithTicket(await ticket('tcb_user')),
      /AUTH_CUSTOM_USER_ID_HAS_BEEN_BOUND/,
      'bound',
    );
  }],
  ['currentUser.linkWithTicket for a signed-in anonymous user', async () => {
    const me = (await auth.getUserInfo()).uid;
    const res = await auth.currentUser.linkWithTicket(await ticket('tcb_linked2'));
    assert.ok(!res || !res.code, JSON.stringify(res));
    const user = (await users()).users.find((u) => u.uid === me);
    assert.equal(user.customUserId, 'tcb_linked2');
  }],
]);
