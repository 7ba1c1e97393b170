// Interoperability: a real third-party client, openid-client (v6, pinned by
// package-lock.json), registers itself at Portcullis with RFC 7591 Dynamic
// Client Registration and runs the authorization code flow with PKCE,
// signing in and consenting through Portcullis's own forms; then refreshes,
// calls /api/me, and reads and deletes its registration (RFC 7592).
//
// Discovery uses the RFC 8414 document (/.well-known/oauth-authorization-server)
// and the scope `profile`: this branch has no OpenID Connect discovery yet.
//
// Usage: node dynamic_registration.mjs BASE_URL   (run by tests/interop.rs)

import * as client from 'openid-client';
import assert from 'node:assert/strict';

const [base] = process.argv.slice(2);
const redirectUri = 'http://127.0.0.1:33418/callback';
const options = { algorithm: 'oauth2', execute: [client.allowInsecureRequests] };

// RFC 7591 §3.1: register, as an MCP client does (public, loopback, PKCE).
const config = await client.dynamicClientRegistration(
  new URL(base),
  {
    client_name: 'openid-client interop',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'profile',
  },
  client.None(),
  options,
);
const registered = config.clientMetadata();
assert.ok(registered.client_id, 'a client_id');
assert.deepEqual(registered.redirect_uris, [redirectUri]);
assert.equal(registered.token_endpoint_auth_method, 'none');
assert.equal(config.serverMetadata().registration_endpoint, `${base}/oauth/register`);

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const authorizeUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: 'profile',
  state,
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
});

// The user: Portcullis's login and consent pages, as plain HTML forms.
const cookies = new Map();
async function visit(url, init = {}) {
  const headers = { ...init.headers, cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair.indexOf('=');
    cookies.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return response;
}
const unescape = (text) => text
  .replace(/&#x2f;/gi, '/').replace(/&#x27;/gi, "'").replace(/&quot;/g, '"')
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
// The fields of the page's form posting to /oauth/authorize, with ours set.
function formOf(html, set) {
  const form = [...html.matchAll(/<form method="post" action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)]
    .find((found) => unescape(found[1]) === '/oauth/authorize');
  assert.ok(form, `a form to /oauth/authorize in:\n${html}`);
  const fields = new URLSearchParams();
  for (const input of form[2].matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields.append(unescape(input[1]), unescape(input[2]));
  }
  for (const [name, value] of Object.entries(set)) fields.set(name, value);
  return fields;
}
async function post(fields) {
  return visit(`${base}/oauth/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: fields.toString(),
  });
}

const login = await visit(authorizeUrl.href);
assert.equal(login.status, 200);
const consent = await post(formOf(await login.text(), { username: 'mike', password: 'pass' }));
assert.equal(consent.status, 200);
const consentPage = await consent.text();
assert.match(consentPage, /openid-client interop/);
assert.match(consentPage, /unverified/, 'a self-registered client is marked unverified');
const approved = await post(formOf(consentPage, { confirm: 'yes' }));
assert.equal(approved.status, 303);
const callback = new URL(approved.headers.get('location'));
assert.equal(callback.origin + callback.pathname, redirectUri);

// RFC 6749 §4.1.3 with RFC 7636 and RFC 9207, checked by openid-client.
const tokens = await client.authorizationCodeGrant(config, callback, {
  pkceCodeVerifier: verifier,
  expectedState: state,
});
assert.equal(tokens.token_type.toLowerCase(), 'bearer');
assert.equal(tokens.scope, 'profile');
assert.ok(tokens.refresh_token, 'a refresh token');

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

console.log(`openid-client ${registered.client_id}: registered, signed in, consented, exchanged, refreshed, read, deleted`);
