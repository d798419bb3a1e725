// Accessibility of every screen, checked by axe-core inside the real app
// (the real binary, real tesseract, Debian's chromium): sign-in, upload,
// history, a task's details, statistics, the result viewer when there is
// one, and the open user menu — light and dark (prefers-color-scheme), at
// desktop and phone width. Any violation fails the test, listed with its
// rule, the elements and axe's summary, so the fix can start from the log.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALICE, CORPUS, e2eEnabled, startHarness, type Harness } from './harness';

const enabled = e2eEnabled();

/** AXE is axe-core's browser build, injected into each page as a script. */
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const UI_TIMEOUT = 15_000;
/** LONG_NAME has no spaces to wrap at: confirmations must still fit a phone. */
const LONG_NAME = 'eurotext-scanned-on-a-phone-with-a-rather-long-file-name-that-goes-on-and-on-without-any-spaces-at-all.tif';
const OCR_TIMEOUT = 120_000;

/** Violation is one axe rule broken on a screen. */
interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string; summary: string }[];
}

/** runAxe injects axe-core (once per document) and returns what it finds on the page as it is now. */
async function runAxe(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    type AxeNode = { target: unknown[]; failureSummary?: string };
    type AxeResult = { id: string; impact: string | null; help: string; nodes: AxeNode[] };
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: AxeResult[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(' '), summary: (n.failureSummary ?? '').replace(/\s+/g, ' ').trim() })),
    }));
  });
}

/** report is a violation list as the failure message prints it. */
function report(screen: string, vs: Violation[]): string {
  return vs
    .map((v) => `${screen}: [${v.id}] (${v.impact}) ${v.help}\n${v.nodes.map((n) => `    ${n.target} — ${n.summary}`).join('\n')}`)
    .join('\n');
}

/** apiLogin signs in over the API and returns a bearer token for seeding tasks. */
async function apiLogin(base: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: email, password }),
  });
  if (!res.ok) throw new Error(`login: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** upload makes one task from bytes and returns its id. */
async function upload(base: string, token: string, name: string, bytes: Uint8Array): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  const res = await fetch(`${base}/api/v1/tasks`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form });
  if (res.status !== 202) throw new Error(`upload ${name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { tasks: { id: string }[] }).tasks[0].id;
}

/** settled waits until the task is in a final state. */
async function settled(base: string, token: string, id: string): Promise<string> {
  const deadline = Date.now() + OCR_TIMEOUT;
  for (;;) {
    const res = await fetch(`${base}/api/v1/tasks/${id}`, { headers: { Authorization: `Bearer ${token}` } });
    const t = (await res.json()) as { status: string };
    if (['completed', 'failed', 'cancelled'].includes(t.status)) return t.status;
    if (Date.now() > deadline) throw new Error(`task ${id} still ${t.status}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** quiet waits until nothing on the page is loading (spinners, skeletons, busy regions). */
async function quiet(page: Page) {
  await page.waitForFunction(() => !document.querySelector('.spinner, .skeleton, [aria-busy="true"]'), undefined, { timeout: UI_TIMEOUT });
}

const MODES = [
  { scheme: 'light', width: 1280, height: 860 },
  { scheme: 'dark', width: 1280, height: 860 },
  { scheme: 'light', width: 390, height: 844 },
  { scheme: 'dark', width: 390, height: 844 },
] as const;

describe.skipIf(!enabled)('accessibility (axe-core) on every screen', () => {
  let h: Harness;
  let completedId = '';
  let failedId = '';
  let longId = '';
  /** found: every screen checked and its violations (printed, and in metrics.json). */
  const found: Record<string, Violation[]> = {};

  beforeAll(async () => {
    h = await startHarness();
    // A completed, a failed and a cancelled task, so each status badge is on screen.
    const token = await apiLogin(h.baseURL, ALICE.email, ALICE.password);
    completedId = await upload(h.baseURL, token, 'phototest.tif', readFileSync(join(CORPUS, 'pages', 'phototest.tif')));
    const png = readFileSync(join(CORPUS, 'pages', 'phototest-rotated-L.png'));
    failedId = await upload(h.baseURL, token, 'truncated-scan.png', png.subarray(0, Math.floor(png.length / 2)));
    longId = await upload(h.baseURL, token, LONG_NAME, readFileSync(join(CORPUS, 'pages', 'eurotext.tif')));
    expect(await settled(h.baseURL, token, completedId)).toBe('completed');
    expect(await settled(h.baseURL, token, failedId)).toBe('failed');
    expect(await settled(h.baseURL, token, longId)).toBe('completed');
  }, 360_000);

  afterAll(async () => {
    if (!h) return;
    h.metrics.axeViolations = Object.fromEntries(Object.entries(found).map(([k, v]) => [k, v.length]));
    await h.stop();
  }, 60_000);

  test('a download after the session ended goes to sign-in and comes back to the task', async () => {
    const ctx = await h.newContext();
    const page = await ctx.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    const signIn = async () => {
      await page.getByLabel('Username or email', { exact: true }).fill(ALICE.email);
      await page.getByLabel('Password', { exact: true }).fill(ALICE.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    };
    try {
      await page.goto(`/history?task=${completedId}`);
      await signIn();
      const dialog = page.getByRole('dialog', { name: 'phototest.tif' });
      await dialog.waitFor();
      // The session ends (expired, or signed out in another tab).
      await ctx.clearCookies();
      await dialog.getByRole('link', { name: 'Download text' }).click();
      await page.waitForURL((u) => u.pathname === '/login');
      expect(new URL(page.url()).searchParams.get('return_to')).toBe(`/history?task=${completedId}`);
      await signIn();
      await page.waitForURL((u) => u.pathname === '/history' && u.searchParams.get('task') === completedId);
      const [dl] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('link', { name: 'Download text' }).click()]);
      expect(dl.suggestedFilename()).toBe('phototest.txt');
    } finally {
      await ctx.close();
    }
  });

  test('date filters and statistics count the viewer’s days (a browser at UTC+14)', async () => {
    const zone = 'Pacific/Kiritimati';
    const ctx = await h.newContext({ timezoneId: zone });
    const page = await ctx.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    const dayIn = (timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date());
    const local = dayIn(zone);
    const utc = dayIn('UTC');
    try {
      await page.goto(`/history?from=${local}&to=${local}`);
      await page.getByLabel('Username or email', { exact: true }).fill(ALICE.email);
      await page.getByLabel('Password', { exact: true }).fill(ALICE.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      // The three tasks seeded a moment ago were made "today" on this browser's calendar.
      await expect.poll(() => page.locator('tr[data-testid="task-row"]').count(), { timeout: UI_TIMEOUT }).toBe(3);
      if (utc !== local) {
        // UTC's date is yesterday here: nothing from today may show under it.
        await page.goto(`/history?from=${utc}&to=${utc}`);
        await page.getByText('No tasks match these filters.').waitFor();
      }
      await page.goto('/stats');
      const today = page.locator('rect.is-today');
      await today.waitFor({ state: 'attached' });
      expect(await today.getAttribute('data-date')).toBe(local);
      expect(await today.getAttribute('data-count')).toBe('3');
      console.log(`local days at ${zone}: today ${local} (UTC ${utc}): 3 tasks in the filter and the chart`);
    } finally {
      await ctx.close();
    }
  });

  for (const mode of MODES) {
    const label = `${mode.scheme} ${mode.width}px`;
    test(`${label}: sign-in, upload, history, details, statistics, viewer and the user menu have no violations`, async () => {
      // bypassCSP: the app's policy (script-src 'self') would refuse the injected axe script.
      const ctx = await h.newContext({ colorScheme: mode.scheme, viewport: { width: mode.width, height: mode.height }, bypassCSP: true });
      const page = await ctx.newPage();
      page.setDefaultTimeout(UI_TIMEOUT);
      const shotName = (s: string) => `a11y-${mode.scheme}-${mode.width}-${s}`;
      // Checks besides axe's: recorded and reported at the end, so that one
      // failing does not hide the screens after it.
      const problems: string[] = [];
      const soft = async (what: string, fn: () => Promise<unknown>) => {
        try {
          await fn();
        } catch (e) {
          problems.push(`${what}: ${(e as Error).message.split('\n')[0]}`);
        }
      };
      const check = async (screen: string) => {
        await quiet(page);
        const key = `${label} ${screen}`;
        found[key] = await runAxe(page);
        await h.shot(page, shotName(screen.replace(/\W+/g, '-')));
      };
      try {
        await page.goto('/login');
        await page.getByRole('heading', { name: 'Sign in to ocrbox' }).waitFor();
        await check('sign-in');

        await page.getByLabel('Username or email', { exact: true }).fill(ALICE.email);
        await page.getByLabel('Password', { exact: true }).fill(ALICE.password);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
        await page.getByRole('heading', { name: 'Upload', level: 1 }).waitFor();
        // After sign-in focus is on the page's heading, not lost on <body>.
        await soft('focus after sign-in', () => expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1'));
        await soft('tab title', async () => expect(await page.title()).toBe('Upload · ocrbox'));
        await page.getByRole('group', { name: 'Outputs' }).waitFor();
        await check('upload');

        // The first Tab reaches the skip link, which jumps to the main content.
        await soft('skip link', async () => {
          // First in the tab order, shown when focused, and Enter lands on the page's heading.
          const skip = page.getByRole('link', { name: 'Skip to main content' });
          expect(await skip.evaluate((e) => e === document.querySelector('a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])'))).toBe(true);
          await skip.focus();
          const box = await skip.boundingBox();
          expect(box && box.y >= 0 && box.height > 10, `skip link at ${JSON.stringify(box)}`).toBe(true);
          await page.keyboard.press('Enter');
          await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Upload');
        });

        const menuButton = page.getByRole('button', { name: new RegExp(ALICE.name) });
        await menuButton.click();
        await page.getByRole('menu').waitFor();
        await check('user menu');
        await page.keyboard.press('Escape');

        await page.goto('/history');
        await page.getByRole('heading', { name: 'Task history', level: 1 }).waitFor();
        await page.locator('tr[data-testid="task-row"]').first().waitFor();
        await soft('tab title', async () => expect(await page.title()).toBe('History · ocrbox'));
        await check('history');
        // Ticked rows bring the bulk bar; on phones the filters open from their button.
        await page.getByRole('checkbox', { name: 'Select phototest.tif' }).check();
        await page.getByRole('region', { name: 'Selected tasks' }).waitFor();
        if (mode.width < 640) await page.getByRole('button', { name: /^Filters/ }).click();
        await check('history (selected, filters open)');

        await page.goto(`/history?task=${completedId}`);
        await page.getByRole('dialog', { name: 'phototest.tif' }).waitFor();
        await check('details');
        await page.goto(`/history?task=${failedId}`);
        await page.getByRole('dialog', { name: 'truncated-scan.png' }).waitFor();
        await check('details (failed)');

        // A long name wraps in the delete confirmation (no sideways scrolling),
        // and the dialog's buttons are on screen without scrolling past it all.
        await page.goto(`/history?task=${longId}`);
        const details = page.getByRole('dialog', { name: LONG_NAME });
        await details.waitFor();
        await soft('details buttons in view', async () => {
          const del = details.getByRole('button', { name: 'Delete', exact: true });
          const box = await del.boundingBox();
          expect(box && box.y + box.height <= mode.height, `Delete at ${JSON.stringify(box)}`).toBe(true);
        });
        await details.getByRole('button', { name: 'Delete', exact: true }).click();
        const confirm = page.getByRole('dialog', { name: 'Delete this task?' });
        await confirm.waitFor();
        await soft('long name fits', async () => {
          const m = await confirm.evaluate((d) => ({ scroll: d.scrollWidth, client: d.clientWidth, right: d.getBoundingClientRect().right }));
          expect(m.scroll, 'dialog scrolls sideways').toBeLessThanOrEqual(m.client);
          expect(m.right).toBeLessThanOrEqual(mode.width);
        });
        await check('delete confirmation');
        await confirm.getByRole('button', { name: 'Keep' }).click();

        await soft('statistics', async () => {
          await page.goto('/stats');
          await page.getByRole('heading', { name: 'Statistics', level: 1 }).waitFor();
          await page.getByRole('img', { name: /tasks from/ }).waitFor();
          expect(await page.title()).toBe('Statistics · ocrbox');
          await check('statistics');
          await page.getByText('Show as table').click();
          await check('statistics (table)');
        });

        // The result viewer (ui/src/viewer).
        await soft('viewer', async () => {
          await page.goto(`/tasks/${completedId}`);
          await page.locator('main h1').first().waitFor();
          await page.locator('main img').first().waitFor();
          await check('viewer');
        });
      } finally {
        await ctx.close();
      }
      const screens = Object.entries(found).filter(([k]) => k.startsWith(`${label} `));
      console.log(`axe ${label}: ${screens.map(([k, v]) => `${k.slice(label.length + 1)} ${v.length}`).join(', ')}`);
      const all = screens.filter(([, v]) => v.length > 0).map(([k, v]) => report(k, v));
      expect(all.join('\n'), 'axe-core violations').toBe('');
      expect(problems).toEqual([]);
    });
  }
});
