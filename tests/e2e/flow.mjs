// The browser flow end to end, in Debian's Chromium driven by Playwright:
// sign in on /, register a client, run the authorization code flow with
// PKCE to a local callback, exchange the code, call /api/me; then the deny
// path. Saves screenshots of the login, consent and client pages.
//
// Usage: node flow.mjs BASE_URL SCREENSHOT_DIR   (run by tests/browser.rs)

import { chromium } from 'playwright-core';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import assert from 'node:assert/strict';

const [base, shots] = process.argv.slice(2);
const b64url = (buffer) => buffer.toString('base64url');

// The client's redirect target (what it was sent is read from the page URL:
// the browser also asks this server for a favicon).
const callback = createServer((req, res) => {
  res.setHeader('Content-Type', 'text/html');
  res.end('<!doctype html><title>callback</title><h1>Back at the client</h1>');
});
await new Promise((resolve) => callback.listen(0, '127.0.0.1', resolve));
const redirectUri = `http://127.0.0.1:${callback.address().port}/callback`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await (await browser.newContext({ viewport: { width: 900, height: 900 } })).newPage();

  // Sign in on the start page.
  await page.goto(`${base}/`);
  await page.fill('#username', 'mike');
  await page.fill('#password', 'pass');
  await page.click('button:has-text("Sign in")');

  // Register a confidential client whose redirect URI is our callback.
  await page.fill('#client_name', 'Browser test app');
  await page.fill('#client_uri', 'https://app.example');
  await page.check('#grant_authorization_code');
  await page.check('#grant_refresh_token');
  await page.fill('#redirect_uris', redirectUri);
  await page.fill('#scope', 'profile email');
  await page.selectOption('#token_endpoint_auth_method', 'client_secret_basic');
  await page.click('button:has-text("Register")');
  const clientId = (await page.locator('dt:text-is("client_id") + dd').innerText()).trim();
  const clientSecret = (await page.locator('code.secret').innerText()).trim();
  assert.ok(clientId && clientSecret.length === 43, 'client id and secret are shown');
  await page.screenshot({ path: `${shots}/client.png`, fullPage: true });

  const authorizeUrl = (state, challenge) => `${base}/oauth/authorize?` + new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'profile',
    state, code_challenge: challenge, code_challenge_method: 'S256',
  });

  // The login page, as a signed-out browser sees it on /oauth/authorize.
  const fresh = await (await browser.newContext({ viewport: { width: 900, height: 700 } })).newPage();
  await fresh.goto(authorizeUrl('shot', b64url(createHash('sha256').update('x'.repeat(43)).digest())));
  await fresh.waitForSelector('#password');
  await fresh.screenshot({ path: `${shots}/login.png`, fullPage: true });

  // Approve: consent page, then the callback gets code, state and iss.
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  await page.goto(authorizeUrl('s-approve', challenge));
  await page.waitForSelector('button[name=confirm][value=yes]');
  assert.ok((await page.content()).includes('Browser test app'), 'consent names the client');
  await page.screenshot({ path: `${shots}/consent.png`, fullPage: true });
  await page.click('button[name=confirm][value=yes]');
  await page.waitForURL(/\/callback/);
  const approved = Object.fromEntries(new URL(page.url()).searchParams);
  assert.equal(approved.state, 's-approve');
  assert.equal(approved.iss, base);
  assert.ok(approved.code, 'a code was issued');

  // The client exchanges the code with its secret and the PKCE verifier.
  const basic = 'Basic ' + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
  const tokenResponse = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: approved.code,
      redirect_uri: redirectUri, code_verifier: verifier }),
  });
  assert.equal(tokenResponse.status, 200);
  const tokens = await tokenResponse.json();
  assert.equal(tokens.scope, 'profile');
  const me = await (await fetch(`${base}/api/me`, {
    headers: { Authorization: `Bearer ${tokens.access_token}` },
  })).json();
  assert.deepEqual(me, { id: 1, username: 'mike' });

  // Deny: the callback gets access_denied and the state, no code. The
  // consent given above is remembered, so prompt=consent asks again.
  await page.goto(authorizeUrl('s-deny', challenge) + '&prompt=consent');
  await page.click('button[name=confirm][value=no]');
  await page.waitForURL(/\/callback/);
  const denied = Object.fromEntries(new URL(page.url()).searchParams);
  assert.equal(denied.error, 'access_denied');
  assert.equal(denied.state, 's-deny');
  assert.equal(denied.code, undefined);
  console.log('browser flow ok: approve, exchange, /api/me, deny');
} finally {
  await browser.close();
  callback.close();
}
