// @cloudbase/js-sdk 2.32.0 against the emulator (v2 protocol under
// /auth/v1/), through its public API only.
'use strict';

require('./lib/shims');
const { assert, EMULATOR, ENV, EXPIRED_TICKET, ticket, forge, users, sleep, run } = require('./lib/common');
const cloudbase = require('cloudbase-js-sdk-v2');

const app = cloudbase.init({ env: ENV });
app.registerEndPoint(`//${new URL(EMULATOR).host}/web`, 'http:');
// Rebuilds the OAuth client on the new endpoint.
const auth = app.auth({ persistence: 'local' });

let uid;

/** The error of a `{data, error}` answer, or a thrown one. */
async function failure(fn) {
  try {
    const res = await fn();
    return res && res.error;
  } catch (e) {
    return e;
  }
}

const text = (e) => `${e && e.message} ${JSON.stringify(e)}`;

run('js-sdk 2.32.0', [
  ['custom sign-in with a create-ticket ticket', async () => {
    // expires_in 32 s: the SDK treats a token as expired 30 s early.
    const t = await ticket('js2_user', { refresh: 32000 });
    const res = await auth.signInWithCustomTicket(async () => t);
    assert.equal(res.error, null, text(res.error));
    assert.ok(auth.hasLoginState(), 'a login state');
  }],
  ['getUserInfo', async () => {
    const info = await auth.getUserInfo();
    uid = info.sub;
    assert.match(uid, /^[0-9a-f]{32}$/);
    assert.equal(info.uid, uid);
    assert.deepEqual(info.providers, [{ id: 'custom', provider_user_id: 'js2_user' }]);
  }],
  ['automatic refresh after the access token expires', async () => {
    const { accessToken: before } = await auth.getAccessToken();
    await sleep(2600);
    const info = await auth.getUserInfo();
    assert.equal(info.sub, uid);
    const { accessToken: after } = await auth.getAccessToken();
    assert.notEqual(after, before, 'a new access token');
    const claims = JSON.parse(Buffer.from(after.split('.')[1], 'base64url'));
    assert.equal(claims.sub, uid);
    assert.equal(claims.aud, ENV);
  }],
  ['get-user-info in cloudbase mode answers with the caller\'s own uid and customUserId', async () => {
    // GET_USER_INFO_URL: the project's get-user-info function with
    // CUSTOMAUTH_CALLER_AUTH=cloudbase, asking this emulator.
    const url = process.env.GET_USER_INFO_URL;
    if (!url) return;
    const { accessToken } = await auth.getAccessToken();
    const res = await fetch(url, { headers: { Authorization: `Bearer ${accessToken}` } });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body, { openId: '', appId: '', uid, customUserId: 'js2_user', isAnonymous: false });
    const refused = await fetch(url, { headers: { Authorization: `Bearer ${accessToken}x` } });
    assert.equal(refused.status, 401);
  }],
  ['the same customUserId signs in to the same uid', async () => {
    const t = await ticket('js2_user');
    const res = await auth.signInWithCustomTicket(async () => t);
    assert.equal(res.error, null, text(res.error));
    assert.equal((await auth.getUserInfo()).sub, uid);
  }],
  ['sign-out revokes the session at the emulator', async () => {
    assert.equal((await users()).sessions.filter((s) => s.uid === uid).length, 1);
    const res = await auth.signOut();
    assert.equal(res.error, null, text(res.error));
    assert.equal((await users()).sessions.filter((s) => s.uid === uid).length, 0);
  }],
  ['an expired ticket is refused', async () => {
    const e = await failure(() => auth.signInWithCustomTicket(async () => EXPIRED_TICKET));
    assert.ok(e, 'refused');
    assert.match(text(e), /TICKET_EXPIRED/);
  }],
  ['a forged ticket is refused', async () => {
    const t = forge(await ticket('js2_forged'));
    const e = await failure(() => auth.signInWithCustomTicket(async () => t));
    assert.ok(e, 'refused');
    assert.match(text(e), /TICKET_SIGNATURE_INVALID/);
    assert.ok(!(await users()).users.some((u) => u.customUserId === 'js2_forged'));
  }],
  ['anonymous sign-in', async () => {
    const res = await auth.signInAnonymously({});
    assert.equal(res.error, null, text(res.error));
    const info = await auth.getUserInfo();
    assert.equal(info.created_from, 'anonymous');
    const user = (await users()).users.find((u) => u.uid === info.sub);
    assert.equal(user.anonymous, true);
  }],
]);
