// Interoperability: a real third-party client, openid-client (v6, pinned by
// package-lock.json), registers itself at Portcullis with RFC 7591 Dynamic
// Client Registration and runs the authorization code flow with PKCE,
// signing in and consenting through Portcullis's own forms (browser.mjs);
// then reads UserInfo, calls /api/me, refreshes, and reads and deletes its
// registration (RFC 7592).
//
// Discovery is OpenID Connect's (/.well-known/openid-configuration, the
// library's default); the scope `openid profile offline_access` brings an
// ID token, validated by openid-client (issuer, audience, expiry, nonce),
// and a refresh token (Core §11: offline_access).
//
// Usage: node dynamic_registration.mjs BASE_URL   (run by tests/interop.rs)

import * as client from 'openid-client';
import assert from 'node:assert/strict';
import { Browser } from './browser.mjs';

const [base] = process.argv.slice(2);
const redirectUri = 'http://127.0.0.1:33418/callback';
const options = { execute: [client.allowInsecureRequests] };
const scope = 'openid profile offline_access';

// RFC 7591 §3.1: register, as an MCP client does (public, loopback, PKCE).
const config = await client.dynamicClientRegistration(
  new URL(base),
  {
    client_name: 'openid-client interop',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope,
  },
  client.None(),
  options,
);
const registered = config.clientMetadata();
assert.ok(registered.client_id, 'a client_id');
assert.deepEqual(registered.redirect_uris, [redirectUri]);
assert.equal(registered.token_endpoint_auth_method, 'none');
assert.equal(config.serverMetadata().registration_endpoint, `${base}/oauth/register`);
assert.ok(config.serverMetadata().userinfo_endpoint, 'OpenID Connect discovery');

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const authorizeUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope,
  state,
  nonce,
  prompt: 'consent',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
});

// The user: Portcullis's login and consent pages, as plain HTML forms.
const { consentPage, callback } = await new Browser(base).approve(authorizeUrl);
assert.match(consentPage, /openid-client interop/);
assert.match(consentPage, /unverified/, 'a self-registered client is marked unverified');
assert.equal(callback.origin + callback.pathname, redirectUri);

// RFC 6749 §4.1.3 with RFC 7636 and RFC 9207, checked by openid-client.
const tokens = await client.authorizationCodeGrant(config, callback, {
  pkceCodeVerifier: verifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
assert.equal(tokens.token_type.toLowerCase(), 'bearer');
assert.equal(tokens.scope, scope);
assert.ok(tokens.refresh_token, 'a refresh token');
// The ID token, its claims checked by openid-client against the discovery
// document and this request (Core §3.1.3.7).
const idToken = tokens.claims();
assert.equal(idToken.iss, base);
assert.equal(idToken.aud, registered.client_id);
assert.equal(idToken.sub, '1');
assert.equal(idToken.nonce, nonce);

const userinfo = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
assert.equal(userinfo.sub, '1');

const me = await client.fetchProtectedResource(config, tokens.access_token, new URL(`${base}/api/me`), 'GET');
assert.deepEqual(await me.json(), { id: 1, username: 'mike' });

const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
assert.ok(refreshed.access_token && refreshed.access_token !== tokens.access_token);

// RFC 7592: read, then delete, the registration with its access token.
const management = {
  headers: { authorization: `Bearer ${registered.registration_access_token}` },
};
const read = await fetch(registered.registration_client_uri, management);
assert.equal(read.status, 200);
assert.equal((await read.json()).client_id, registered.client_id);
const deleted = await fetch(registered.registration_client_uri, { ...management, method: 'DELETE' });
assert.equal(deleted.status, 204);
await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token), 'the client is gone');

console.log(`openid-client ${registered.client_id}: registered, signed in, consented, exchanged (ID token), UserInfo, refreshed, read, deleted`);
