// A real OpenID provider for the OAuth tests: node-oidc-provider (an
// OpenID Certified implementation) on a free loopback port, issuing JWT
// access tokens for the audience the client asks for (resource indicators,
// RFC 8707). Started by tests/tests/e2e/oauth.rs with NODE_MODULES set to
// target/npm/node_modules; prints one JSON line (issuer, clients) when ready.
//
// Clients:
//   agent   client credentials, may ask vmware.read and vmware.operate
//   reader  client credentials, vmware.read only
//   brief   client credentials, tokens live 2 seconds (the expiry test)
//   ide     authorization code with PKCE (public, native), used with the
//           interaction below, which logs in the user "alice" and grants
//           what was asked, over plain HTTP redirects the test follows
//
// Test-only routes (never part of a real provider):
//   POST /test/rotate   add a new signing key, used from now on; the old
//                       ones stay published (a key rotation)
//   POST /test/forge    a token signed by a key the provider never
//                       published (the unknown-kid test)
//
// Tokens are signed RS256, except those of the client "agent-es": ES256.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const modules = process.env.NODE_MODULES;
const { default: Provider } = await import(pathToFileURL(join(modules, 'oidc-provider/lib/index.js')));
const jose = await import(pathToFileURL(join(modules, 'jose/dist/webapi/index.js')));

const SCOPES = 'vmware.read vmware.operate';
let keyCount = 0;
async function newKey(alg) {
  const { privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  keyCount += 1;
  return { ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${keyCount}` };
}

const server = createServer();
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const issuer = `http://127.0.0.1:${server.address().port}`;

// Signing keys, newest first per algorithm: the provider signs with the
// first key of the algorithm a token needs.
let keys = [await newKey('RS256'), await newKey('ES256')];

const clients = [
  { client_id: 'agent', client_secret: 'agent-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: SCOPES },
  { client_id: 'agent-es', client_secret: 'agent-es-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: SCOPES },
  { client_id: 'reader', client_secret: 'reader-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: 'vmware.read' },
  { client_id: 'brief', client_secret: 'brief-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: SCOPES },
  {
    client_id: 'ide', application_type: 'native', token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'], response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'], scope: `openid email ${SCOPES}`,
  },
];

function configuration() {
  return {
    clients,
    jwks: { keys },
    scopes: ['openid', 'email', 'vmware.read', 'vmware.operate'],
    claims: { openid: ['sub'], email: ['email'] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource, client) => ({
          scope: SCOPES,
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: client.clientId === 'brief' ? 2 : 300,
          jwt: { sign: { alg: client.clientId === 'agent-es' ? 'ES256' : 'RS256' } },
        }),
      },
    },
    findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: `${id}@example.com` }) }),
    extraTokenClaims: (ctx, token) => (token.accountId ? { email: `${token.accountId}@example.com` } : undefined),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  };
}

let provider = new Provider(issuer, configuration());

// The interaction: log "alice" in, then grant what the client asked.
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params } = details;
  if (prompt.name === 'login') {
    return provider.interactionFinished(req, res, { login: { accountId: 'alice' } }, { mergeWithLastSubmission: false });
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function testRoute(req, res) {
  if (req.url === '/test/rotate') {
    keys = [await newKey('RS256'), ...keys];
    provider = new Provider(issuer, configuration());
    return json(res, { kid: keys[0].kid });
  }
  if (req.url === '/test/forge') {
    const body = JSON.parse(await read(req) || '{}');
    const stranger = await newKey('RS256');
    const key = await jose.importJWK(stranger, 'RS256');
    const token = await new jose.SignJWT({ scope: SCOPES, client_id: 'agent' })
      .setProtectedHeader({ alg: 'RS256', kid: stranger.kid, typ: 'at+jwt' })
      .setIssuer(issuer).setSubject('mallory').setAudience(body.audience)
      .setIssuedAt().setExpirationTime('5m').sign(key);
    return json(res, { token, kid: stranger.kid });
  }
  res.statusCode = 404;
  res.end();
}

function read(req) {
  return new Promise((ok) => { let b = ''; req.on('data', (c) => { b += c; }); req.on('end', () => ok(b)); });
}
function json(res, value) {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(value));
}

server.on('request', (req, res) => {
  const done = (e) => { if (e) { res.statusCode = 500; res.end(String(e)); } };
  if (req.method === 'POST' && req.url.startsWith('/test/')) return testRoute(req, res).catch(done);
  if (req.url.startsWith('/interaction/')) return interaction(req, res).catch(done);
  return provider.callback()(req, res);
});

console.log(JSON.stringify({
  issuer,
  clients: Object.fromEntries(clients.map((c) => [c.client_id, c.client_secret ?? null])),
  redirect_uri: 'http://127.0.0.1/callback',
}));
