// OpenID Connect sign-in end to end: openid-client (npm) is the relying
// party, Debian's Chromium driven by Playwright is the user. It signs in
// with prompt=login although a session exists, is not asked for consent
// the second time, withdraws the consent on /account (which revokes the
// tokens), and signs out at the end-session endpoint. Saves screenshots
// of the account and sign-out pages.
//
// Usage: node oidc.mjs BASE_URL SCREENSHOT_DIR   (run by tests/browser.rs)

import { chromium } from 'playwright-core';
import * as oidc from 'openid-client';
import { createServer } from 'node:http';
import assert from 'node:assert/strict';

const [base, shots] = process.argv.slice(2);

const callback = createServer((req, res) => {
  res.setHeader('Content-Type', 'text/html');
  res.end('<!doctype html><title>callback</title><h1>Back at the relying party</h1>');
});
await new Promise((resolve) => callback.listen(0, '127.0.0.1', resolve));
const redirectUri = `http://127.0.0.1:${callback.address().port}/callback`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await (await browser.newContext({ viewport: { width: 900, height: 800 } })).newPage();

  // Sign in and register the relying party on the start page.
  await page.goto(`${base}/`);
  await page.fill('#username', 'mike');
  await page.fill('#password', 'pass');
  await page.click('button:has-text("Sign in")');
  await page.fill('#client_name', 'Photo Album');
  await page.check('#grant_authorization_code');
  await page.check('#grant_refresh_token');
  await page.fill('#redirect_uris', redirectUri);
  await page.fill('#scope', 'openid profile email offline_access');
  await page.selectOption('#token_endpoint_auth_method', 'client_secret_basic');
  await page.click('button:has-text("Register")');
  const clientId = (await page.locator('dt:text-is("client_id") + dd').innerText()).trim();
  const clientSecret = (await page.locator('code.secret').innerText()).trim();

  // The relying party learns everything else from discovery (plain HTTP
  // on the loopback interface only because this is a test).
  const config = await oidc.discovery(new URL(base), clientId, clientSecret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });

  /** One authorization code flow; `user` acts in the browser. */
  const signIn = async (parameters, user) => {
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
      state,
      ...parameters,
    });
    await page.goto(url.href);
    await user();
    await page.waitForURL(/\/callback/);
    return oidc.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
    });
  };

  // First run, prompt=login: the sign-in form although a session exists,
  // then the consent page, which names offline access. Times are in
  // seconds: a session from the very second the request arrives counts as
  // signed in during it, so let that second pass.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const before = Math.floor(Date.now() / 1000);
  const first = await signIn({ prompt: 'login' }, async () => {
    await page.waitForSelector('#password');
    assert.equal(await page.inputValue('#username'), 'mike', 'who is signed in');
    await page.fill('#password', 'pass');
    await page.click('button:has-text("Sign in")');
    await page.waitForSelector('button[name=confirm][value=yes]');
    assert.ok((await page.content()).includes('offline_access'), 'offline access is named');
    await page.click('button[name=confirm][value=yes]');
  });
  const claims = first.claims();
  assert.equal(claims.iss, base);
  assert.equal(claims.aud, clientId);
  assert.ok(claims.auth_time >= before - 1, 'auth_time is the new sign-in');
  assert.ok(first.refresh_token, 'offline_access was granted');
  const userinfo = await oidc.fetchUserInfo(config, first.access_token, claims.sub);
  assert.equal(userinfo.email, 'mike@example.com');
  assert.equal(userinfo.preferred_username, 'mike');

  // Second run: the consent is remembered, no page at all.
  const second = await signIn({}, async () => {});
  assert.equal(second.claims().sub, claims.sub);
  assert.equal(second.claims().auth_time, claims.auth_time, 'the same sign-in');
  const refreshed = await oidc.refreshTokenGrant(config, second.refresh_token);
  assert.equal(refreshed.claims().sub, claims.sub);

  // /account lists the application; revoking it ends its tokens.
  await page.goto(`${base}/account`);
  assert.ok((await page.content()).includes('Photo Album'), 'the application is listed');
  await page.screenshot({ path: `${shots}/account.png`, fullPage: true });
  await page.click('button:has-text("Revoke access")');
  await page.waitForSelector('p[role=status]');
  await assert.rejects(oidc.fetchUserInfo(config, refreshed.access_token, claims.sub),
    'the access token is revoked');
  await assert.rejects(oidc.refreshTokenGrant(config, refreshed.refresh_token),
    'the refresh token is revoked');
  // And consent is asked again.
  await page.goto(oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid profile', nonce: oidc.randomNonce(),
  }).href);
  await page.waitForSelector('button[name=confirm][value=yes]');

  // Sign out. Without an id_token_hint the user is asked first; with one
  // the relying party's request is taken as its own.
  await page.goto(oidc.buildEndSessionUrl(config, {}).href);
  await page.waitForSelector('button[name=confirm][value=yes]');
  await page.screenshot({ path: `${shots}/logout.png`, fullPage: true });
  await page.goto(oidc.buildEndSessionUrl(config, { id_token_hint: refreshed.id_token }).href);
  await page.waitForSelector('text=You are signed out');
  await page.goto(`${base}/`);
  await page.waitForSelector('#password');
  console.log('OpenID Connect flow ok: prompt=login, remembered consent, /account, logout');
} finally {
  await browser.close();
  callback.close();
}
