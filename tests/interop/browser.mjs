// The user of the interop scripts: a browser reduced to what Portcullis's
// sign-in and consent pages need (cookies, the hidden fields and CSRF token
// of their forms, redirects not followed), written with plain fetch so that
// no client library under test is involved in it.

import assert from 'node:assert/strict';

const unescape = (text) => text
  .replace(/&#x2f;/gi, '/').replace(/&#x27;/gi, "'").replace(/&quot;/g, '"')
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

export class Browser {
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
  }

  async visit(url, init = {}) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers = { ...init.headers, cookie };
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  }

  // The fields of the page's form posting to /oauth/authorize, with ours set.
  static formOf(html, set) {
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

  async post(fields) {
    return this.visit(`${this.base}/oauth/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.base },
      body: fields.toString(),
    });
  }

  // Opens the authorization URL, signs in as mike on the login page and
  // presses Allow on the consent page. Returns the consent page's HTML and
  // the URL the browser is sent back to (the client's redirect URI with
  // the code, state and iss).
  async approve(authorizationUrl) {
    const login = await this.visit(String(authorizationUrl));
    const loginPage = await login.text();
    assert.equal(login.status, 200, loginPage);
    const consent = await this.post(Browser.formOf(loginPage, { username: 'mike', password: 'pass' }));
    const consentPage = await consent.text();
    assert.equal(consent.status, 200, consentPage);
    const approved = await this.post(Browser.formOf(consentPage, { confirm: 'yes' }));
    assert.equal(approved.status, 303, await approved.text());
    return { consentPage, callback: new URL(approved.headers.get('location')) };
  }
}
