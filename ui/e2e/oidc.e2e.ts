// "Sign in with …" in a real browser: the server with the oidc provider
// beside local accounts, a real Dex (bin/dex, built by scripts/build-dex) as
// the identity provider, the authorization code flow with PKCE through
// Dex's own login page, and back to the page the user asked for.
import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEX, DEX_BUTTON, e2eEnabled, GRACE, isCI, startHarness, type Harness } from './harness';

/** dexAvailable: bin/dex is built by scripts/build-dex (CI runs it first). */
function dexAvailable(): boolean {
  if (existsSync(DEX)) return true;
  const why = `ocrbox e2e: ${DEX} is missing (run scripts/build-dex)`;
  if (isCI) throw new Error(`${why}; CI=true: the OIDC browser test must run`);
  console.warn(`${why}: skipping the OIDC browser test`);
  return false;
}

const enabled = e2eEnabled() && dexAvailable();
const UI_TIMEOUT = 15_000;

describe.skipIf(!enabled)('signing in with an identity provider (Dex)', () => {
  let h: Harness;
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    h = await startHarness({ oidc: true });
    ctx = await h.newContext();
    page = await ctx.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
  }, 360_000);

  afterAll(async () => {
    await h?.stop();
  }, 60_000);

  test('a protected page → "Sign in with …" → Dex → back where the user was, under their name', async () => {
    await page.goto('/history?status=completed');
    await page.getByRole('heading', { name: 'Sign in to ocrbox' }).waitFor();
    expect(new URL(page.url()).searchParams.get('return_to')).toBe('/history?status=completed');
    const button = page.getByRole('button', { name: DEX_BUTTON, exact: true });
    await button.waitFor();
    await h.shot(page, '20-oidc-sign-in');

    await button.click();
    // Dex's own login form, on Dex's origin.
    await page.locator('#login').waitFor();
    expect(new URL(page.url()).origin).not.toBe(new URL(h.baseURL).origin);
    await page.locator('#login').fill(GRACE.email);
    await page.locator('#password').fill('not-her-password');
    await page.locator('#submit-login').click();
    await page.locator('#login').waitFor(); // Dex shows its form again
    await h.shot(page, '21-dex-wrong-password');
    await page.locator('#login').fill(GRACE.email);
    await page.locator('#password').fill(GRACE.password);
    await page.locator('#submit-login').click();

    // Back in ocrbox, on the page asked for, signed in as Grace.
    await page.getByRole('heading', { name: 'Task history' }).waitFor();
    const url = new URL(page.url());
    expect(url.origin).toBe(new URL(h.baseURL).origin);
    expect(url.pathname + url.search).toBe('/history?status=completed');
    await expect.poll(() => page.getByRole('button', { name: GRACE.name, exact: true }).count()).toBe(1);
    await h.shot(page, '22-oidc-signed-in');

    // The session is a normal ocrbox session: the API knows who this is.
    const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).json());
    expect(me.user).toMatchObject({ email: GRACE.email, name: GRACE.name, provider: 'oidc' });
    expect(h.pageErrors).toEqual([]);
  });

  test('a forged or replayed callback ends on the sign-in page with the reason', async () => {
    const fresh = await h.newContext();
    const p = await fresh.newPage();
    p.setDefaultTimeout(UI_TIMEOUT);
    // The callback without the login flow's state (a replayed or forged
    // redirect) is refused; a browser is sent to the sign-in page with why.
    await p.goto('/api/v1/auth/oidc/callback?code=forged&state=forged');
    await p.getByRole('heading', { name: 'Sign in to ocrbox' }).waitFor();
    await expect.poll(() => p.getByRole('alert').filter({ hasText: 'identity provider' }).count()).toBe(1);
    await h.shot(p, '23-oidc-refused');
    await fresh.close();
  });
});
