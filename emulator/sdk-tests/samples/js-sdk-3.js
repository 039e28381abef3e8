// @cloudbase/js-sdk 3.x (npm install @cloudbase/js-sdk; tested with 3.7.0).
// In Node, require('./node-shims') first (emulator/sdk-tests/node-shims.js).
const cloudbase = require('@cloudbase/js-sdk');

/** Signs in with a createTicket ticket. `emulator` ('127.0.0.1:9100'): local development only. */
async function signIn({ env, ticket, emulator }) {
  const app = cloudbase.init({ env });
  // 3.x calls https://ENV.api.tcloudbasegateway.com by default: registerHost moves every call.
  if (emulator) app.registerHost(emulator, 'http');
  const auth = app.auth({ persistence: 'local' });
  const { error } = await auth.signInWithCustomTicket(async () => ticket);
  if (error) throw error;
  const { sub, providers } = await auth.getUserInfo(); // providers: [{ id: 'custom', provider_user_id }]
  return { auth, uid: sub, customUserId: providers.find((p) => p.id === 'custom').provider_user_id };
}

module.exports = { signIn };
