// The uniCloud client (@dcloudio/uni-cloud, tencent provider) against the
// emulator (v1 protocol). Its hosts are hard-coded, so the `uni.request` it
// calls is the shim of lib/uni.js, which sends CloudBase's hosts here.
'use strict';

require('./lib/shims');
const { EMULATOR, ENV, EXPIRED_TICKET, assert, ticket, forge, users, sleep, rejects, run } = require('./lib/common');
require('./lib/uni').install(EMULATOR);
const uniCloud = require('@dcloudio/uni-cloud').default;

const space = uniCloud.init({ provider: 'tencent', spaceId: ENV });
const auth = space.auth();

let uid;
let anonUid;

run('uni-cloud', [
  ['custom sign-in with a create-ticket ticket', async () => {
    await auth.signInWithTicket(await ticket('uni_user', { refresh: 2000 }));
    const state = await auth.getLoginState();
    assert.ok(state, 'a login state');
    const info = await auth.getUserInfo();
    assert.equal(info.customUserId, 'uni_user');
    assert.equal(info.loginType, 'CUSTOM');
    uid = info.uid;
    assert.match(uid, /^[0-9a-f]{32}$/);
  }],
  ['the login lasts access_token_expire: no refresh for a custom login', async () => {
    // The client never sends its refresh token for a custom login
    // (CLOUDBASE.md §1): after the access token expires locally, calls fail
    // without a request.
    await sleep(2200);
    await rejects(() => auth.getUserInfo(), /INVALID_OPERATION|refresh_token/i, 'expired login');
  }],
  ['signing in again gives the same uid; sign-out ends the session', async () => {
    await auth.signInWithTicket(await ticket('uni_user'));
    assert.equal((await auth.getUserInfo()).uid, uid);
    assert.equal((await users()).sessions.filter((s) => s.uid === uid).length, 1);
    await auth.signOut();
    assert.equal((await users()).sessions.filter((s) => s.uid === uid).length, 0);
  }],
  ['an expired ticket is refused', async () => {
    await rejects(() => auth.signInWithTicket(EXPIRED_TICKET), /TICKET_EXPIRED/, 'expired');
  }],
  ['a forged ticket is refused', async () => {
    const t = await ticket('uni_forged');
    await rejects(() => auth.signInWithTicket(forge(t)), /TICKET_SIGNATURE_INVALID/, 'forged');
  }],
  ['anonymous sign-in, then linking with a ticket keeps the uid', async () => {
    // signOut() keeps the local login type CUSTOM, and the client refuses an
    // anonymous sign-in over it: start as a fresh app would.
    uni.clearStorageSync();
    await auth.signInAnonymously();
    const anon = await auth.getUserInfo();
    assert.equal(anon.loginType, 'ANONYMOUS');
    anonUid = anon.uid;
    await auth.linkAndRetrieveDataWithTicket(await ticket('uni_linked'));
    const user = (await users()).users.find((u) => u.uid === anonUid);
    assert.equal(user.customUserId, 'uni_linked');
    assert.equal(user.anonymous, false);
    const info = await auth.getUserInfo();
    assert.equal(info.uid, anonUid);
    assert.equal(info.customUserId, 'uni_linked');
  }],
]);
