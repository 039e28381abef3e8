// @cloudbase/js-sdk 1.x (npm install @cloudbase/js-sdk@1; tested with 1.2.4 and 1.8.4).
// In Node, require('./node-shims') first (emulator/sdk-tests/node-shims.js).
const cloudbase = require('@cloudbase/js-sdk');

/** Signs in with a createTicket ticket. `emulator` ('127.0.0.1:9100'): local development only. */
async function signIn({ env, ticket, emulator }) {
  const app = cloudbase.init({ env });
  // After init: init({ region }) would overwrite it.
  if (emulator) cloudbase.registerEndPoint(`http://${emulator}/web`);
  const auth = app.auth({ persistence: 'local' });
  await auth.customAuthProvider().signIn(ticket);
  const { uid, customUserId } = await auth.getUserInfo();
  return { auth, uid, customUserId };
}

module.exports = { signIn };
