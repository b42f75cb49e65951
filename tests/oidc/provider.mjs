// A real OpenID provider for the single sign-on tests: `node provider.mjs PORT REDIRECT_URI`.
// One confidential client (id `mend`, secret `mend-test-secret`) that must use PKCE; any email typed as the
// login is an account, verified unless its local part starts with "unverified". oidc-provider's own
// development pages ask for the login (any password) and the consent.
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const [port, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

function account(email) {
  const verified = !email.split('@')[0].startsWith('unverified');
  return {
    accountId: email,
    claims: async () => ({ sub: email, email, email_verified: verified, name: `Test ${email.split('@')[0]}` }),
  };
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'mend',
    client_secret: 'mend-test-secret',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  pkce: { required: () => true },
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Put the scopes' claims in the ID token, as most providers do, rather than only behind /userinfo.
  conformIdTokenClaims: false,
  findAccount: async (_ctx, sub) => (sub.includes('@') ? account(sub) : undefined),
  cookies: { keys: ['mend-test-provider-cookie-key'] },
  features: { devInteractions: { enabled: true } },
});
provider.listen(Number(port), '127.0.0.1');
