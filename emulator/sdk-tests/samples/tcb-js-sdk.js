// tcb-js-sdk (npm install tcb-js-sdk; tested with 1.3.7 and 1.10.10).
// In Node, require('./node-shims') first (emulator/sdk-tests/node-shims.js).
const tcb = require('tcb-js-sdk');

/** Signs in with a createTicket ticket. `emulator` ('127.0.0.1:9100'): local development only. */
async function signIn({ env, ticket, emulator }) {
  // No setter: the SDK reads BASE_URL on every request.
  if (emulator) require('tcb-js-sdk/dist/types').BASE_URL = `//${emulator}/web`;
  const auth = tcb.init({ env }).auth({ persistence: 'local' });
  // 1.7+: customAuthProvider().signIn(ticket); 1.3-1.6: signInWithTicket(ticket).
  await (typeof auth.customAuthProvider === 'function'
    ? auth.customAuthProvider().signIn(ticket)
    : auth.signInWithTicket(ticket));
  const { uid, customUserId } = await auth.getUserInfo();
  return { auth, uid, customUserId };
}

module.exports = { signIn };
