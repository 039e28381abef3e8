// @cloudbase/js-sdk 3.7.0 (npm's latest) against the emulator, through its
// public API only. 3.x defaults to endPointMode GATEWAY
// (https://ENV.api.tcloudbasegateway.com): app.registerHost() moves both
// endpoint modes to the emulator.
'use strict';

require('./lib/shims');
const { assert, EMULATOR, ENV, EXPIRED_TICKET, ticket, forge, users, sleep, run } = require('./lib/common');
const cloudbase = require('js-sdk-v3');

const app = cloudbase.init({ env: ENV });
app.registerHost(new URL(EMULATOR).host, 'http');
const auth = app.auth({ persistence: 'local' });

let uid;

const text = (e) => `${e && e.message} ${JSON.stringify(e)}`;

/** The error of a `{data, error}` answer, or a thrown one. */
async function failure(fn) {
  try {
    const res = await fn();
    return res && res.error;
  } catch (e) {
    return e;
  }
}

run('js-sdk 3.7.0', [
  ['custom sign-in with a create-ticket ticket', async () => {
    // expires_in 32 s: the SDK treats a token as expired 30 s early.
    const t = await ticket('js3_user', { refresh: 32000 });
    const res = await auth.signInWithCustomTicket(async () => t);
    assert.equal(res.error, null, text(res.error));
    assert.ok(res.data.session.access_token, 'a session');
    assert.ok(auth.hasLoginState(), 'a login state');
  }],
  ['getUser and getUserInfo', async () => {
    const { data, error } = await auth.getUser();
    assert.equal(error, null, text(error));
    uid = data.user.id;
    assert.match(uid, /^[0-9a-f]{32}$/);
    const info = await auth.getUserInfo();
    assert.equal(info.sub, uid);
    assert.deepEqual(info.providers, [{ id: 'custom', provider_user_id: 'js3_user' }]);
  }],
  ['automatic refresh after the access token expires', async () => {
    const { accessToken: before } = await auth.getAccessToken();
    await sleep(2600);
    assert.equal((await auth.getUserInfo()).sub, uid);
    const { accessToken: after } = await auth.getAccessToken();
    assert.notEqual(after, before, 'a new access token');
    const claims = JSON.parse(Buffer.from(after.split('.')[1], 'base64url'));
    assert.equal(claims.sub, uid);
    assert.equal(claims.aud, ENV);
  }],
  ['refreshSession', async () => {
    const { data, error } = await auth.refreshSession();
    assert.equal(error, null, text(error));
    assert.equal(data.user.id, uid);
  }],
  ['sign-out revokes the session at the emulator', async () => {
    assert.equal((await users()).sessions.filter((s) => s.uid === uid).length, 1);
    const res = await auth.signOut();
    assert.equal(res.error, null, text(res.error));
    assert.equal((await users()).sessions.filter((s) => s.uid === uid).length, 0);
  }],
  ['an expired ticket is refused as bad credentials, not as a disabled login method', async () => {
    const e = await failure(() => auth.signInWithCustomTicket(async () => EXPIRED_TICKET));
    assert.ok(e, 'refused');
    assert.match(text(e), /TICKET_EXPIRED/);
    assert.equal(e.category, 'INVALID_CREDENTIALS', text(e));
  }],
  ['a forged ticket is refused', async () => {
    const t = forge(await ticket('js3_forged'));
    const e = await failure(() => auth.signInWithCustomTicket(async () => t));
    assert.ok(e, 'refused');
    assert.match(text(e), /TICKET_SIGNATURE_INVALID/);
    assert.ok(!(await users()).users.some((u) => u.customUserId === 'js3_forged'));
  }],
  ['anonymous sign-in', async () => {
    const res = await auth.signInAnonymously({});
    assert.equal(res.error, null, text(res.error));
    const info = await auth.getUserInfo();
    assert.equal(info.created_from, 'anonymous');
    const user = (await users()).users.find((u) => u.uid === info.sub);
    assert.equal(user.anonymous, true);
  }],
  ['the other recipe, init({env, endPointMode: "CLOUD_API"}) then registerEndPoint, reaches the emulator too', async () => {
    const other = cloudbase.init({ env: ENV, endPointMode: 'CLOUD_API' });
    other.registerEndPoint(`//${new URL(EMULATOR).host}/web`, 'http');
    const otherAuth = other.auth({ persistence: 'local' });
    const res = await otherAuth.signInWithCustomTicket(async () => ticket('js3_cloud_api'));
    assert.equal(res.error, null, text(res.error));
    const info = await otherAuth.getUserInfo();
    assert.deepEqual(info.providers, [{ id: 'custom', provider_user_id: 'js3_cloud_api' }]);
    assert.ok((await users()).users.some((u) => u.uid === info.sub));
    await otherAuth.signOut();
  }],
]);
