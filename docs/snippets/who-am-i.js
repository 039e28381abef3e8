// In a page served from a local dev server (http://localhost:5173 and the others make run prints),
// while `make run` runs: ask getUserInfo who holds this CloudBase access token.
async function whoAmI(accessToken) {
  const res = await fetch('http://127.0.0.1:9002/getUserInfo', {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  if (!res.ok) throw new Error(`getUserInfo: ${res.status} ${(await res.json()).message}`);
  return res.json(); // { openId: "", appId: "", uid, customUserId, isAnonymous: false }
}
