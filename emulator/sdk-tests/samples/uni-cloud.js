// uniCloud client (@dcloudio/uni-cloud, a Tencent space; tested with 3.0.0-3090920231225001
// and 3.0.0-5020420260813003). Its hosts are fixed: to reach the emulator, the app's
// uni.request must send them there (emulator/sdk-tests/lib/uni.js does so in Node).
// A custom login lasts the ticket's refresh: the newest client never refreshes it.
const uniCloud = require('@dcloudio/uni-cloud').default;

/** Signs in with a createTicket ticket. */
async function signIn({ spaceId, ticket }) {
  const auth = uniCloud.init({ provider: 'tencent', spaceId }).auth();
  await auth.signInWithTicket(ticket);
  const { uid, customUserId } = await auth.getUserInfo();
  return { auth, uid, customUserId };
}

module.exports = { signIn };
