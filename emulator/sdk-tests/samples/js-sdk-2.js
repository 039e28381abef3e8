// @cloudbase/js-sdk 2.x (npm install @cloudbase/js-sdk@2; tested with 2.0.1-alpha.0, 2.11.0, 2.32.0).
// In Node, require('./node-shims') first (emulator/sdk-tests/node-shims.js).
const cloudbase = require('@cloudbase/js-sdk');

/** Signs in with a createTicket ticket. `emulator` ('127.0.0.1:9100'): local development only. */
async function signIn({ env, ticket, emulator }) {
  const app = cloudbase.init({ env });
  // Between init and auth: auth() builds its client on the endpoint. 'http:' with the colon.
  if (emulator) app.registerEndPoint(`//${emulator}/web`, 'http:');
  const auth = app.auth({ persistence: 'local' });
  auth.setCustomSignFunc(async () => ticket);
  const { error } = await auth.signInWithCustomTicket();
  if (error) throw error;
  const { sub, providers } = await auth.getUserInfo(); // providers: [{ id: 'custom', provider_user_id }]
  return { auth, uid: sub, customUserId: providers.find((p) => p.id === 'custom').provider_user_id };
}

module.exports = { signIn };
