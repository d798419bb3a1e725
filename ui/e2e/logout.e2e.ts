// Signing out of ocrbox also signs out of the identity provider
// (OpenID Connect RP-Initiated Logout): in a real browser, with a real IdP
// that advertises an end_session_endpoint. Dex does not, so the IdP here is
// node-oidc-provider (test/idp/oidcprovider, the Go tests' second IdP).
import type { BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { e2eEnabled, GRACE, isCI, NODE_OIDC_BUTTON, nodeOIDCMissing, startHarness, type Harness } from './harness';

/** nodeOIDCAvailable: npm ci --prefix test/idp/oidcprovider (CI runs it first). */
function nodeOIDCAvailable(): boolean {
  const missing = nodeOIDCMissing();
  if (!missing) return true;
  if (isCI) throw new Error(`ocrbox e2e: ${missing}; CI=true: the RP-initiated logout test must run`);
  console.warn(`ocrbox e2e: ${missing}: skipping the RP-initiated logout test`);
  return false;
}

const enabled = e2eEnabled() && nodeOIDCAvailable();
const UI_TIMEOUT = 15_000;

describe.skipIf(!enabled)('signing out ends the identity provider session too (RP-Initiated Logout)', () => {
  let h: Harness;
  let ctx: BrowserContext;
  let page: Page;
  let idp: URL;

  beforeAll(async () => {
    h = await startHarness({ nodeOIDC: true });
    idp = new URL(h.issuer ?? '');
    ctx = await h.newContext();
    // The provider's stock pages @import a web font; the suite stays offline.
    await ctx.route(/^https?:\/\/fonts\.(googleapis|gstatic)\.com\//, (r) => r.abort());
    page = await ctx.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
  }, 360_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  /**
   * sessionCookies are ocrbox's cookies in the browser that still hold a
   * value. Cookies ignore ports, so the IdP's (same host) are left out by name.
   */
  async function sessionCookies(): Promise<string[]> {
    return (await ctx.cookies(h.baseURL))
      .filter((c) => c.name.startsWith('ocrbox_') && c.value !== '')
      .map((c) => c.name)
      .sort();
  }

  /** onIdP: the page is on the IdP's origin. */
  function onIdP(): boolean {
    return new URL(page.url()).origin === idp.origin;
  }

  test('sign in through the IdP, sign out of ocrbox → the IdP ends its session → back on the sign-in page', async () => {
    // Sign in: ocrbox → the IdP's login form (and its consent page, the
    // first time) → back in ocrbox as Grace.
    await page.goto('/login');
    await page.getByRole('button', { name: NODE_OIDC_BUTTON, exact: true }).click();
    await page.locator('input[name="login"]').waitFor();
    expect(onIdP()).toBe(true);
    await page.locator('input[name="login"]').fill(GRACE.email);
    await page.locator('input[name="password"]').fill(GRACE.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const allow = page.getByRole('button', { name: 'Allow' });
    const me = page.getByRole('button', { name: GRACE.name, exact: true });
    await allow.or(me).first().waitFor();
    if (await allow.isVisible()) await allow.click();
    await me.waitFor();
    expect(new URL(page.url()).origin).toBe(new URL(h.baseURL).origin);
    expect(await sessionCookies()).toEqual(expect.arrayContaining(['ocrbox_csrf', 'ocrbox_session']));
    await h.shot(page, '30-idp-signed-in');

    // Sign out: the server answers 200 with the IdP's end-session URL
    // (its body is gone once the page navigates) and the app sends the
    // browser there.
    const discovery = (await (await fetch(`${h.issuer}/.well-known/openid-configuration`)).json()) as {
      end_session_endpoint?: string;
    };
    expect(discovery.end_session_endpoint, 'the IdP advertises RP-Initiated Logout').toBeTruthy();
    const endpoint = new URL(discovery.end_session_endpoint ?? '');
    const logout = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/logout');
    const toIdP = page.waitForRequest((r) => {
      const u = new URL(r.url());
      return r.isNavigationRequest() && u.origin === endpoint.origin && u.pathname === endpoint.pathname;
    });
    await me.click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    const answer: Response = await logout;
    expect(answer.status()).toBe(200);
    const endSession = new URL((await toIdP).url());
    expect(endSession.searchParams.get('id_token_hint')).toBeTruthy();
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${h.baseURL}/login?signed_out=1`);

    // The browser is at the IdP's end-session endpoint, which asks to confirm.
    await page.waitForURL((u) => u.origin === endpoint.origin && u.pathname === endpoint.pathname);
    const confirm = page.getByRole('button', { name: 'Yes, sign me out' });
    await confirm.waitFor();
    // ocrbox's cookies are already gone, and so is the session.
    expect(await sessionCookies()).toEqual([]);
    await h.shot(page, '31-idp-end-session');
    await confirm.click();

    // The IdP sends the browser back to ocrbox's sign-in page.
    await page.waitForURL((u) => u.origin === new URL(h.baseURL).origin && u.pathname === '/login');
    expect(new URL(page.url()).searchParams.get('signed_out')).toBe('1');
    await page.getByRole('heading', { name: 'Sign in to ocrbox' }).waitFor();
    await page.getByText('You have signed out.').waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
    expect(status).toBe(401);
    expect(await sessionCookies()).toEqual([]);
    await h.shot(page, '32-idp-signed-out');

    // The IdP session really ended: signing in again asks for the password
    // (with a live IdP session the IdP would send the browser straight back).
    await page.getByRole('button', { name: NODE_OIDC_BUTTON, exact: true }).click();
    await page.waitForURL((u) => u.origin === idp.origin || u.pathname !== '/login');
    await page.locator('input[name="login"]').or(me).first().waitFor();
    expect(onIdP(), `signing in again went to ${page.url()} without the IdP's login form`).toBe(true);
    expect(await page.locator('input[name="password"]').count()).toBe(1);
    await h.shot(page, '33-idp-asks-again');
    expect(h.pageErrors).toEqual([]);
  });
});
