// @cloudbase/js-sdk 1.8.4 against the emulator (v1 protocol), through its
// public API only.
'use strict';

require('./lib/shims');
const { assert, EMULATOR, ENV, EXPIRED_TICKET, ticket, forge, users, sleep, rejects, run } = require('./lib/common');
const cloudbase = require('@cloudbase/js-sdk');

const app = cloudbase.init({ env: ENV });
// After init: init({region}) would overwrite it.
cloudbase.registerEndPoint(`${EMULATOR}/web`);
const auth = app.auth({ persistence: 'local' });

let uid;
let anonUid;

run('js-sdk 1.8.4', [
  ['custom sign-in with a create-ticket ticket', async () => {
    const state = await auth.customAuthProvider().signIn(await ticket('js1_user', { refresh: 2000 }));
    assert.ok(state, 'a login state');
    assert.equal(auth.currentUser.loginType, 'CUSTOM');
    assert.equal(auth.currentUser.customUserId, 'js1_user');
    uid = auth.currentUser.uid;
    assert.match(uid, /^[0-9a-f]{32}$/);
  }],
  ['getUserInfo', async () => {
    const info = await auth.getUserInfo();
    assert.equal(info.uid, uid);
    assert.equal(info.customUserId, 'js1_user');
  }],
  ['automatic refresh after the access token expires', async () => {
    const { accessToken: before } = await auth.getAccessToken();
    await sleep(3100); // refresh 2000 ms; exp is whole seconds, rounded up
    const info = await auth.getUserInfo();
    assert.equal(info.uid, uid);
    const { accessToken: after } = await auth.getAccessToken();
    assert.notEqual(after, before, 'a new access token');
  }],
  ['the same customUserId signs in to the same uid', async () => {
    await auth.customAuthProvider().signIn(await ticket('js1_user'));
    assert.equal(auth.currentUser.uid, uid);
  }],
  ['sign-out ends the session at the emulator', async () => {
    assert.equal((await users()).sessions.filter((s) => s.uid === uid).length, 1);
    await auth.signOut();
    assert.equal((await users()).sessions.filter((s) => s.uid === uid).length, 0);
    assert.ok(!auth.hasLoginState(), 'no local login state');
  }],
  ['an expired ticket is refused', async () => {
    await rejects(() => auth.customAuthProvider().signIn(EXPIRED_TICKET), /TICKET_EXPIRED/, 'expired');
  }],
  ['a forged ticket is refused', async () => {
    const t = await ticket('js1_forged');
    await rejects(() => auth.customAuthProvider().signIn(forge(t)), /TICKET_SIGNATURE_INVALID/, 'forged');
    assert.ok(!(await users()).users.some((u) => u.customUserId === 'js1_forged'));
  }],
  ['anonymous sign-in', async () => {
    await auth.anonymousAuthProvider().signIn();
    assert.equal(auth.currentUser.loginType, 'ANONYMOUS');
    anonUid = auth.currentUser.uid;
    const info = await auth.getUserInfo();
    assert.equal(info.uid, anonUid);
    assert.equal(info.isAnonymous, true);
  }],
  ['linking the anonymous user with a ticket keeps its uid', async () => {
    await auth.anonymousAuthProvider().linkAndRetrieveDataWithTicket(await ticket('js1_linked'));
    const info = await auth.getUserInfo();
    assert.equal(info.uid, anonUid);
    assert.equal(info.customUserId, 'js1_linked');
    const user = (await users()).users.find((u) => u.uid === anonUid);
    assert.equal(user.customUserId, 'js1_linked');
    assert.equal(user.anonymous, false);
  }],
  ['linking a customUserId already registered is refused', async () => {
    await auth.signOut();
    await auth.anonymousAuthProvider().signIn();
    await rejects(
      async () => auth.anonymousAuthProvider().linkAndRetrieveDataWithTicket(await ticket('js1_user')),
      /AUTH_CUSTOM_USER_ID_HAS_BEEN_BOUND/,
      'bound',
    );
  }],
  ['currentUser.linkWithTicket for a signed-in anonymous user', async () => {
    const me = auth.currentUser.uid;
    await auth.currentUser.linkWithTicket(await ticket('js1_linked2'));
    const user = (await users()).users.find((u) => u.uid === me);
    assert.equal(user.customUserId, 'js1_linked2');
  }],
]);
