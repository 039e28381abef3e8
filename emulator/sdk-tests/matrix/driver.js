// One SDK of one version set against the emulator: sign-in, user info,
// refresh, sign-out and the ticket refusals, one row per flow.
//
//   node matrix/driver.js KIND SET_DIR [PACKAGE]
//
// KIND: js-sdk-1, js-sdk-2, js-sdk-3, tcb-js-sdk, uni-cloud. SET_DIR holds
// the package.json and package-lock.json of the version set (its own
// node_modules). Settings come from the environment as for the other SDK
// scripts (lib/common.js), plus OTHER_ENV_TICKET, a valid ticket for
// other_env_user of OTHER_ENV, another env the emulator also serves. Prints `ROW<TAB>SDK@VERSION<TAB>FLOW<TAB>ok|FAIL<TAB>detail`.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
require('../lib/shims');
const { assert, EMULATOR, ENV, EXPIRED_TICKET, ticket, forge, users, sleep, offLoopback } = require('../lib/common');

const [kind, setDir, pkgName] = process.argv.slice(2);
const OTHER_ENV_TICKET = process.env.OTHER_ENV_TICKET;
if (!kind || !setDir || !OTHER_ENV_TICKET || !process.env.OTHER_ENV) {
  throw new Error('usage: KIND SET_DIR, with OTHER_ENV and OTHER_ENV_TICKET (customUserId other_env_user) set');
}
const modules = path.resolve(setDir, 'node_modules');
const load = (name) => require(require.resolve(name, { paths: [modules] }));
// The SDK: PACKAGE (an npm alias such as js-sdk-v3), else its own name.
const sdkName = pkgName || (kind === 'tcb-js-sdk' ? 'tcb-js-sdk' : kind === 'uni-cloud' ? '@dcloudio/uni-cloud' : '@cloudbase/js-sdk');
const sdkDir = path.join(modules, sdkName);
// The package.json of `name` as Node would find it from `dir` (read from disk:
// some packages do not export ./package.json).
function packageJson(name, dir) {
  for (let d = dir; ; d = path.dirname(d)) {
    const file = path.join(d, 'node_modules', name, 'package.json');
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
    if (d === path.dirname(d)) return { version: 'bundled' };
  }
}
const sdkPackage = JSON.parse(fs.readFileSync(path.join(sdkDir, 'package.json'), 'utf8'));
// The version of the SDK (name omitted) or of a subpackage it loads.
const versionOf = (name) => (name ? packageJson(name, sdkDir) : sdkPackage).version;
const host = new URL(EMULATOR).host;
const text = (e) => `${e && e.message} ${e && e.error_description ? e.error_description : ''} ${JSON.stringify(e)}`;

/** Throws the error of a `{data?, error}` answer. */
function ok(res) {
  if (res && res.error) throw res.error;
  return res;
}

// Each client: signIn(ticket), user() -> {uid, customUserId}, token(), signOut(),
// and `refresh`, the ticket's refresh (ms) and the wait that makes the SDK refresh.
const clients = {
  'js-sdk-1': () => {
    const cloudbase = load(sdkName);
    const app = cloudbase.init({ env: ENV });
    cloudbase.registerEndPoint(`${EMULATOR}/web`);
    const auth = app.auth({ persistence: 'local' });
    return {
      name: `@cloudbase/js-sdk@${versionOf()} (@cloudbase/auth@${versionOf('@cloudbase/auth')})`,
      signIn: (t) => auth.customAuthProvider().signIn(t),
      user: async () => {
        const info = await auth.getUserInfo();
        return { uid: info.uid, customUserId: info.customUserId };
      },
      token: async () => localStorage.getItem(`access_token_${ENV}`),
      signOut: () => auth.signOut(),
      refresh: { ticket: 2000, wait: 3100 },
    };
  },
  'tcb-js-sdk': () => {
    const tcb = load(sdkName);
    load(`${sdkName}/dist/types`).BASE_URL = `//${host}/web`;
    const auth = tcb.init({ env: ENV }).auth({ persistence: 'local' });
    console.warn = () => {}; // getUserInfo() prints a deprecation notice each call
    return {
      name: `tcb-js-sdk@${versionOf()}`,
      // 1.3-1.6: auth.signInWithTicket; 1.7+: customAuthProvider().signIn.
      signIn: (t) => (typeof auth.customAuthProvider === 'function' ? auth.customAuthProvider().signIn(t) : auth.signInWithTicket(t)),
      user: async () => {
        const info = await auth.getUserInfo();
        if (info.code) throw new Error(`[${info.code}] ${info.message}`);
        return { uid: info.uid, customUserId: info.customUserId };
      },
      token: async () => localStorage.getItem(`access_token_${ENV}`),
      signOut: () => auth.signOut(),
      refresh: { ticket: 2000, wait: 3100 },
    };
  },
  'js-sdk-2': () => {
    const cloudbase = load(sdkName);
    const app = cloudbase.init({ env: ENV });
    // 'http:', not 'http': @cloudbase/app 2.0.0-alpha.6 prepends it to '//HOST/web'.
    app.registerEndPoint(`//${host}/web`, 'http:');
    const auth = app.auth({ persistence: 'local' });
    return {
      name: sdkPackage.dependencies['@cloudbase/app']
        ? `@cloudbase/js-sdk@${versionOf()} (@cloudbase/app@${versionOf('@cloudbase/app')}, @cloudbase/oauth@${versionOf('@cloudbase/oauth')})`
        : `@cloudbase/js-sdk@${versionOf()}`,
      // setCustomSignFunc: 2.0-2.5 take no argument in signInWithCustomTicket.
      signIn: async (t) => {
        auth.setCustomSignFunc(async () => t);
        return ok(await auth.signInWithCustomTicket());
      },
      user: async () => {
        const info = await auth.getUserInfo();
        const custom = (info.providers || []).find((p) => p.id === 'custom');
        return { uid: info.sub || info.uid, customUserId: custom && custom.provider_user_id };
      },
      token: async () => (await auth.getAccessToken()).accessToken,
      signOut: async () => ok(await auth.signOut()),
      refresh: { ticket: 32000, wait: 2600 }, // the SDK refreshes 30 s before expires_in
    };
  },
  'js-sdk-3': () => {
    const cloudbase = load(sdkName);
    const app = cloudbase.init({ env: ENV });
    app.registerHost(host, 'http');
    const auth = app.auth({ persistence: 'local' });
    return {
      name: `@cloudbase/js-sdk@${versionOf()}`,
      signIn: async (t) => ok(await auth.signInWithCustomTicket(async () => t)),
      user: async () => {
        const info = await auth.getUserInfo();
        const custom = (info.providers || []).find((p) => p.id === 'custom');
        return { uid: info.sub, customUserId: custom && custom.provider_user_id };
      },
      token: async () => (await auth.getAccessToken()).accessToken,
      signOut: async () => ok(await auth.signOut()),
      refresh: { ticket: 32000, wait: 2600 },
    };
  },
  'uni-cloud': () => {
    const store = require('../lib/uni').install(EMULATOR);
    const loaded = load(sdkName);
    const uniCloud = loaded.default || loaded; // older clients export it directly
    const auth = uniCloud.init({ provider: 'tencent', spaceId: ENV }).auth();
    return {
      name: `@dcloudio/uni-cloud@${versionOf()}`,
      signIn: (t) => auth.signInWithTicket(t),
      user: async () => {
        const info = await auth.getUserInfo();
        return { uid: info.uid, customUserId: info.customUserId };
      },
      token: async () => store.get(`access_token_${ENV}`) || null,
      signOut: () => auth.signOut(),
      refresh: { ticket: 2000, wait: 3100 },
    };
  },
};

async function main() {
  await fetch(`${EMULATOR}/emulator/v1/envs/${ENV}/users`, { method: 'DELETE' });
  const client = clients[kind]();
  const rows = [];
  let failed = false;
  const step = async (flow, fn) => {
    try {
      const detail = await fn();
      rows.push([flow, 'ok', detail || '']);
    } catch (e) {
      failed = true;
      rows.push([flow, 'FAIL', text(e).replace(/\s+/g, ' ').slice(0, 300)]);
    }
  };
  const refused = async (t, reason) => {
    let error;
    try {
      await client.signIn(t);
    } catch (e) {
      error = e;
    }
    assert.ok(error, 'expected a refusal');
    assert.match(text(error), new RegExp(reason), text(error));
    return reason;
  };
  const id = kind.replace(/[^a-z0-9]/g, '').slice(0, 10);
  let uid;
  await step('sign-in', async () => {
    await client.signIn(await ticket(`${id}_user`, { refresh: client.refresh.ticket }));
    return 'ticket accepted';
  });
  await step('user info', async () => {
    const me = await client.user();
    assert.equal(me.customUserId, `${id}_user`);
    assert.match(me.uid, /^[0-9a-f]{32}$/);
    uid = me.uid;
    return `uid ${uid.slice(0, 8)}...`;
  });
  await step('refresh', async () => {
    const before = await client.token();
    await sleep(client.refresh.wait);
    let me;
    try {
      me = await client.user();
    } catch (e) {
      // The newest uniCloud never refreshes a custom login (CLOUDBASE.md §1).
      if (kind === 'uni-cloud' && /INVALID_OPERATION/.test(text(e))) return 'no refresh: the login ends (documented client behaviour)';
      throw e;
    }
    assert.equal(me.uid, uid);
    const after = await client.token();
    assert.ok(after && after !== before, 'a new access token');
    return 'a new access token';
  });
  await step('sign-out', async () => {
    if (kind === 'uni-cloud') await client.signIn(await ticket(`${id}_user`));
    const live = () => users().then((u) => u.sessions.filter((s) => s.uid === uid).length);
    assert.equal(await live(), 1, 'one live session before');
    await client.signOut();
    assert.equal(await live(), 0, 'no live session after');
    return 'session ended at the emulator';
  });
  await step('used ticket refused', async () => {
    const t = await ticket(`${id}_used`);
    await client.signIn(t);
    await client.signOut();
    return refused(t, 'TICKET_ALREADY_USED');
  });
  await step('expired ticket refused', () => refused(EXPIRED_TICKET, 'TICKET_EXPIRED'));
  await step('wrong key refused', async () => refused(forge(await ticket(`${id}_forged`)), 'TICKET_SIGNATURE_INVALID'));
  await step('unknown key id refused', async () => {
    const t = await ticket(`${id}_kid`);
    return refused(`unknown-key-id${t.slice(t.indexOf('/@@/'))}`, 'TICKET_KEY_UNKNOWN');
  });
  await step('other env refused', async () => {
    // @cloudbase/oauth up to 2.5.6-beta.1 sends signin/with/provider with no
    // client_id and no env anywhere: the emulator takes the env of the
    // ticket's key (emulator/README.md, semantics). The ticket then signs in
    // to its own env, never to this one.
    if (globalThis.__sdkRequests.some((r) => r.path === '/auth/v1/signin/with/provider')) {
      await client.signIn(OTHER_ENV_TICKET);
      assert.ok(!(await users()).users.some((u) => u.customUserId === 'other_env_user'), 'not in this env');
      const other = await (await fetch(`${EMULATOR}/emulator/v1/envs/${process.env.OTHER_ENV}/users`)).json();
      assert.ok(other.users.some((u) => u.customUserId === 'other_env_user'), 'in the ticket\'s env');
      return `no env named: signed in to ${process.env.OTHER_ENV}, the ticket's env, not ${ENV}`;
    }
    return refused(OTHER_ENV_TICKET, 'TICKET_ENV_MISMATCH');
  });
  const { elsewhere, probes, total } = offLoopback();
  if (elsewhere.length) {
    failed = true;
    rows.push(['stayed on loopback', 'FAIL', JSON.stringify(elsewhere.slice(0, 3))]);
  } else {
    rows.push(['stayed on loopback', 'ok', `${total} requests${probes ? `; ${probes} metadata probes blocked` : ''}`]);
  }
  for (const [flow, status, detail] of rows) console.log(`ROW\t${client.name}\t${flow}\t${status}\t${detail}`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.log(`FAIL ${kind}: ${e && e.stack}`);
  process.exit(1);
});
