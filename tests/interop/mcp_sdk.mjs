// The official TypeScript MCP SDK (@modelcontextprotocol/sdk, pinned by
// package-lock.json), unmodified, pointed only at a resource's URL (the
// example API <base>/api, or examples/mcp_resource_server.rs), as an MCP
// client is pointed at an MCP server: its auth()
// helper goes from the resource's 401 to its RFC 9728 metadata, to the
// authorization server's RFC 8414 metadata, registers itself (RFC 7591),
// and sends the user to the authorization endpoint with PKCE and
// `resource` (RFC 8707). The user (browser.mjs) signs in and consents on
// Portcullis's own pages; auth() exchanges the code, the SDK's withOAuth
// fetch calls the resource, and when the access token has expired it
// refreshes by itself. Rotation is then checked: the old refresh token is
// refused, and presenting it revokes the family (RFC 9700 §4.14.2).
//
// auth() is called as the SDK's StreamableHTTPClientTransport calls it
// (on a 401, with the challenge's resource_metadata and scope; then
// again with the authorization code, its finishAuth()); Portcullis's /api
// is no MCP server, so the transport itself has nothing to talk to.
//
// Usage: node mcp_sdk.mjs BASE_URL RS_CLIENT_ID RS_CLIENT_SECRET [RESOURCE_URL]
// (run by tests/mcp_sdks.rs; the resource server credentials introspect
// the tokens, to read their audience as a resource server would; the
// resource is <base>/api unless named).

import {
  auth,
  extractWWWAuthenticateParams,
  refreshAuthorization,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { withOAuth } from '@modelcontextprotocol/sdk/client/middleware.js';
import { InvalidGrantError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import assert from 'node:assert/strict';
import { Browser } from './browser.mjs';

const [base, rsId, rsSecret, named] = process.argv.slice(2);
assert.ok(base && rsId && rsSecret, 'usage: node mcp_sdk.mjs BASE_URL RS_CLIENT_ID RS_CLIENT_SECRET [RESOURCE_URL]');
const api = named ?? `${base}/api`;
// RFC 9728 §3.1: the well-known segment between the host and the path.
const metadataUrl = `${new URL(api).origin}/.well-known/oauth-protected-resource${new URL(api).pathname}`;
const redirectUrl = 'http://127.0.0.1:33419/callback';

// Every request the SDK makes, for the assertions on what it did.
const requests = [];
const recordingFetch = async (url, init = {}) => {
  const method = init.method ?? 'GET';
  const body = typeof init.body === 'string' ? init.body : init.body?.toString();
  requests.push({ method, url: String(url), body });
  return fetch(url, init);
};

// An in-memory OAuthClientProvider, what an MCP host keeps per server.
class MemoryProvider {
  constructor() {
    this.authorizationUrl = undefined;
    this.stored = {};
  }
  get redirectUrl() { return redirectUrl; }
  get clientMetadata() {
    return {
      client_name: 'MCP TypeScript SDK interop',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() { this.stored.state = crypto.randomUUID(); return this.stored.state; }
  clientInformation() { return this.stored.client; }
  saveClientInformation(client) { this.stored.client = client; }
  tokens() { return this.stored.tokens; }
  saveTokens(tokens) { this.stored.tokens = tokens; }
  redirectToAuthorization(url) { this.authorizationUrl = url; }
  saveCodeVerifier(verifier) { this.stored.verifier = verifier; }
  codeVerifier() { return this.stored.verifier; }
}
const provider = new MemoryProvider();

// RFC 7662 as the resource server sees it: what a token is, and for whom.
async function introspect(token) {
  const response = await fetch(`${base}/oauth/introspect`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${rsId}:${rsSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });
  assert.equal(response.status, 200);
  return response.json();
}

// 1. The resource, called without a token: 401 and a challenge naming its
// RFC 9728 metadata (§5.1), parsed by the SDK's own parser.
const unauthorized = await recordingFetch(api);
assert.equal(unauthorized.status, 401);
const challenge = extractWWWAuthenticateParams(unauthorized);
assert.equal(
  challenge.resourceMetadataUrl?.href,
  metadataUrl,
  `the 401 names the metadata: ${unauthorized.headers.get('www-authenticate')}`,
);

// 2. auth(): metadata, registration, and the authorization request.
const started = await auth(provider, {
  serverUrl: api,
  resourceMetadataUrl: challenge.resourceMetadataUrl,
  scope: challenge.scope,
  fetchFn: recordingFetch,
});
assert.equal(started, 'REDIRECT');
const seen = requests.map(({ method, url }) => `${method} ${url}`);
assert.ok(seen.includes(`GET ${metadataUrl}`), seen.join('\n'));
assert.ok(seen.includes(`GET ${base}/.well-known/oauth-authorization-server`), seen.join('\n'));
assert.ok(seen.includes(`POST ${base}/oauth/register`), seen.join('\n'));
const client = provider.stored.client;
assert.ok(client?.client_id, 'registered: a client_id');
assert.deepEqual(client.redirect_uris, [redirectUrl]);
assert.equal(client.token_endpoint_auth_method, 'none');

const authorizationUrl = provider.authorizationUrl;
assert.ok(authorizationUrl, 'redirectToAuthorization was called');
assert.equal(authorizationUrl.origin + authorizationUrl.pathname, `${base}/oauth/authorize`);
const asked = authorizationUrl.searchParams;
assert.equal(asked.get('client_id'), client.client_id);
assert.equal(asked.get('code_challenge_method'), 'S256');
assert.ok(asked.get('code_challenge'), 'PKCE');
assert.equal(asked.get('resource'), api, 'RFC 8707: the resource from its metadata');
// The scope the resource's metadata lists (scopes_supported).
assert.equal(asked.get('scope'), 'profile');

// 3. The user signs in and consents on Portcullis's pages.
const { consentPage, callback } = await new Browser(base).approve(authorizationUrl);
assert.match(consentPage, /MCP TypeScript SDK interop/);
assert.equal(callback.origin + callback.pathname, redirectUrl);
assert.equal(callback.searchParams.get('state'), provider.stored.state);
assert.equal(callback.searchParams.get('iss'), base, 'RFC 9207');
const code = callback.searchParams.get('code');
assert.ok(code, `a code in ${callback}`);

// 4. auth() again with the code, as the transport's finishAuth() does.
const finished = await auth(provider, {
  serverUrl: api,
  authorizationCode: code,
  resourceMetadataUrl: challenge.resourceMetadataUrl,
  scope: challenge.scope,
  fetchFn: recordingFetch,
});
assert.equal(finished, 'AUTHORIZED');
const exchange = requests.find(({ body }) => body?.includes('grant_type=authorization_code'));
assert.ok(exchange, 'the code was exchanged');
const exchanged = new URLSearchParams(exchange.body);
assert.equal(exchanged.get('resource'), api, 'RFC 8707 at the token endpoint too');
assert.ok(exchanged.get('code_verifier'), 'PKCE verifier sent');
const first = provider.stored.tokens;
assert.equal(first.token_type.toLowerCase(), 'bearer');
assert.ok(first.refresh_token, 'a refresh token');

// The token is bound to the resource: its audience is <base>/api.
const firstInfo = await introspect(first.access_token);
assert.equal(firstInfo.active, true);
assert.equal(firstInfo.aud, api, JSON.stringify(firstInfo));
assert.equal(firstInfo.client_id, client.client_id);

// 5. The protected call, through the SDK's OAuth fetch.
const oauthFetch = withOAuth(provider, api)(recordingFetch);
const called = await oauthFetch(api);
assert.equal(called.status, 200);
const answer = await called.json();
assert.equal(answer.client_id, client.client_id);
assert.equal(answer.username, 'mike');

// 6. Once the access token has expired, the resource answers 401 and the
// SDK refreshes by itself, then repeats the call.
await new Promise((resolve) => setTimeout(resolve, (first.expires_in + 1.5) * 1000));
const before = requests.length;
const again = await oauthFetch(api);
assert.equal(again.status, 200);
const refresh = requests.slice(before).find(({ body }) => body?.includes('grant_type=refresh_token'));
assert.ok(refresh, 'the SDK refreshed');
assert.equal(new URLSearchParams(refresh.body).get('resource'), api);
const second = provider.stored.tokens;
assert.notEqual(second.access_token, first.access_token);
assert.ok(second.refresh_token, 'a new refresh token');
assert.notEqual(second.refresh_token, first.refresh_token, 'the refresh token rotated');
assert.equal((await introspect(second.access_token)).aud, api, 'the refreshed token keeps its audience');

// 7. Rotation: the old refresh token is refused (invalid_grant), and its
// replay revokes the whole family, the new tokens included.
const metadata = await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json();
await assert.rejects(
  refreshAuthorization(base, {
    metadata,
    clientInformation: client,
    refreshToken: first.refresh_token,
    resource: new URL(api),
  }),
  InvalidGrantError,
);
const revoked = await fetch(api, { headers: { authorization: `Bearer ${second.access_token}` } });
assert.equal(revoked.status, 401, 'the family is revoked after a replay');

console.log(`@modelcontextprotocol/sdk ${client.client_id} at ${api}: 401, metadata, registered, consented, exchanged, called, refreshed, rotated`);
