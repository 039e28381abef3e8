// A real OpenID provider (node-oidc-provider) on loopback for the jwt mode
// tests: discovery at /.well-known/openid-configuration, keys at /jwks, and
// JWT access tokens from the client_credentials grant (sub = the client id).
//
// PORT: where to listen (127.0.0.1). KEY_DIR: a folder keeping each key by
// kid, so that a restarted provider signs with the same key. KIDS: the kids
// published, comma-separated; the first one signs (a rotation is a restart
// with another list). Prints one JSON line {"issuer": ...} once listening.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const keyDir = process.env.KEY_DIR;
const kids = (process.env.KIDS || 'oidc-key-1').split(',');
const CLIENT_ID = 'oidc_user_1';
const CLIENT_SECRET = 'a-client-secret-for-the-loopback-provider';
const AUDIENCE = 'customauth-oidc-test';

function key(kid) {
  const file = join(keyDir, `${kid}.json`);
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
    writeFileSync(file, JSON.stringify(jwk));
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  jwks: { keys: kids.map(key) },
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
  }],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:customauth:test',
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: AUDIENCE,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ issuer }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
