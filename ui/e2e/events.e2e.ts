// One event stream per tab (issue 13 §3), in a real browser against the
// real server with one OCR worker: ten uploads each show their progress to
// the end, and with 100 tasks queued the history page holds a single
// /api/v1/events connection and a details dialog opens in under a second.
// Before, the app opened one stream per running task: past six (HTTP/1.1's
// connections per host) every other request waited, and a dialog took 30 s.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALICE, CORPUS, e2eEnabled, startHarness, type Harness } from './harness';

const enabled = e2eEnabled();

const THREE_PAGES = join(CORPUS, 'multipage', 'three-pages.pdf');
const FOUR_PAGES = join(CORPUS, 'multipage', 'four-pages.tif');
// The smallest page of the corpus (5 KB): quick to upload a hundred times.
const SMALL = join(CORPUS, 'pages', 'phototest-rotated-180.png');

const UI_TIMEOUT = 15_000;
/** OCR_TIMEOUT: thirty pages on one worker take ~45 s; generous for a busy machine. */
const OCR_TIMEOUT = 240_000;
/** DIALOG_BUDGET_MS is the issue's target for opening a details dialog. */
const DIALOG_BUDGET_MS = 1000;

describe.skipIf(!enabled)('one event stream per tab', () => {
  let h: Harness;
  let ctx: BrowserContext;
  let page: Page;
  /** streams are the event-stream requests the page made (path and query), in order. */
  const streams: string[] = [];
  const eventStreams = () => streams.filter((s) => s.startsWith('/api/v1/events'));
  const perTaskStreams = () => streams.filter((s) => /^\/api\/v1\/tasks\/[^/]+\/events/.test(s));

  beforeAll(async () => {
    h = await startHarness();
    ctx = await h.newContext();
    page = await ctx.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.endsWith('/events')) streams.push(u.pathname + u.search);
    });
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in to ocrbox' }).waitFor();
    await page.getByLabel('Username or email', { exact: true }).fill(ALICE.email);
    await page.getByLabel('Password', { exact: true }).fill(ALICE.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Upload', level: 1 }).waitFor();
  }, 360_000);

  afterAll(async () => {
    if (!h) return;
    await h.stop();
  }, 60_000);

  /** token signs Alice in through the API (bearer: uploads without the browser's CSRF dance). */
  async function token(): Promise<string> {
    const res = await fetch(`${h.baseURL}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: ALICE.email, password: ALICE.password }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  /** upload creates one task through the API and returns its id. */
  async function upload(tok: string, name: string, data: Buffer): Promise<string> {
    const form = new FormData();
    form.append('outputs', 'txt');
    form.append('file', new Blob([new Uint8Array(data)]), name);
    const res = await fetch(`${h.baseURL}/api/v1/tasks`, { method: 'POST', headers: { Authorization: `Bearer ${tok}` }, body: form });
    const body = (await res.json()) as { tasks?: { id: string }[] };
    expect(res.status, JSON.stringify(body)).toBe(202);
    return body.tasks![0].id;
  }

  test('ten uploads: one stream, and every row shows its page progress through to Completed', { timeout: 300_000 }, async () => {
    const names = Array.from({ length: 10 }, (_, i) => `report-${String(i + 1).padStart(2, '0')}.pdf`);
    // Record every state each row goes through.
    await page.evaluate((names) => {
      type Seen = { statuses: string[]; pages: string[]; progress: string[] };
      const seen: Record<string, Seen> = {};
      for (const n of names) seen[n] = { statuses: [], pages: [], progress: [] };
      const push = <T,>(list: T[], v: T) => list[list.length - 1] !== v && list.push(v);
      const snap = () => {
        for (const r of Array.from(document.querySelectorAll('[data-testid="task-row"]'))) {
          const n = names.find((x) => r.textContent?.includes(x));
          if (!n) continue;
          const st = r.getAttribute('data-status');
          if (st) push(seen[n].statuses, st);
          const m = /(\d+) \/ (\d+) pages/.exec(r.textContent ?? '');
          if (m) push(seen[n].pages, m[0]);
          const bar = r.querySelector('[role="progressbar"][aria-label^="OCR progress"]');
          if (bar) push(seen[n].progress, bar.getAttribute('aria-valuenow') ?? '');
        }
      };
      new MutationObserver(snap).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      Object.assign(window, { __e2eRows: seen });
      snap();
    }, names);

    const pdf = readFileSync(THREE_PAGES);
    const started = Date.now();
    await page
      .getByLabel('Choose files', { exact: true })
      .setInputFiles(names.map((name) => ({ name, mimeType: 'application/pdf', buffer: pdf })));
    const rows = page.locator('[data-testid="task-row"]');
    await expect.poll(() => rows.count()).toBe(10);
    // Several running at once: the case that used to stall past six.
    await expect
      .poll(() => page.locator('[data-testid="task-row"][data-status="pending"], [data-testid="task-row"][data-status="processing"]').count(), {
        timeout: OCR_TIMEOUT,
      })
      .toBeGreaterThanOrEqual(7);
    await h.shot(page, 'events-01-ten-uploads');
    await expect
      .poll(() => page.locator('[data-testid="task-row"][data-status="completed"]').count(), { timeout: OCR_TIMEOUT, interval: 500 })
      .toBe(10);
    const took = Date.now() - started;

    const seen = (await page.evaluate(() => (window as unknown as { __e2eRows: unknown }).__e2eRows)) as Record<
      string,
      { statuses: string[]; pages: string[]; progress: string[] }
    >;
    h.metrics.tenUploads = { seconds: Math.round(took / 100) / 10, rows: seen };
    for (const name of names) {
      const s = seen[name];
      expect(s.statuses.at(-1), `${name}: ${s.statuses}`).toBe('completed');
      expect(s.statuses, `${name} was followed while processing`).toContain('processing');
      // Live page progress, not a jump from 0 to done: 1 / 3 or 2 / 3 was shown, with a bar past 0 %.
      expect(s.pages, `${name} pages: ${s.pages}`).toEqual(expect.arrayContaining([expect.stringMatching(/^[12] \/ 3 pages$/)]));
      expect(s.progress.some((v) => Number(v) > 0 && Number(v) < 100), `${name} progress: ${s.progress}`).toBe(true);
    }
    console.log(`ten uploads of 3 pages done in ${(took / 1000).toFixed(1)} s; event streams opened: ${JSON.stringify(streams)}`);
    expect(eventStreams()).toHaveLength(1);
    expect(perTaskStreams()).toEqual([]);
    await expect.poll(() => page.locator('header .count-badge').count()).toBe(0);
  });

  test('100 queued tasks: the history page holds one stream and a details dialog opens in under a second', { timeout: 300_000 }, async () => {
    const tok = await token();
    // One long task first keeps the one worker busy; the hundred small ones wait behind it.
    await upload(tok, 'long-four-pages.tif', readFileSync(FOUR_PAGES));
    const small = readFileSync(SMALL);
    const names = Array.from({ length: 100 }, (_, i) => `queued-${String(i + 1).padStart(3, '0')}.png`);
    const queueStart = Date.now();
    for (let i = 0; i < names.length; i += 10) {
      await Promise.all(names.slice(i, i + 10).map((n) => upload(tok, n, small)));
    }
    const queueMs = Date.now() - queueStart;

    streams.length = 0;
    await page.goto('/history?page_size=100');
    await page.getByRole('heading', { name: 'Task history', level: 1 }).waitFor();
    const rows = page.locator('tr[data-testid="task-row"]');
    await expect.poll(() => rows.count()).toBe(100);
    const queuedAtLoad = await page.locator('tr[data-testid="task-row"][data-status="pending"]').count();
    await h.shot(page, 'events-02-history-100-queued');

    // Time each opening in the page: from the click on the row to the frame
    // that shows the loaded task (Playwright's own scrolling and polling
    // are left out; its wall-clock time is logged beside).
    await page.evaluate(() => {
      const w = window as unknown as { __e2eOpen: number[] };
      w.__e2eOpen = [];
      let clickAt = 0;
      document.addEventListener(
        'click',
        (e) => {
          if ((e.target as Element).closest('tr[data-testid="task-row"]')) clickAt = performance.now();
        },
        true,
      );
      new MutationObserver(() => {
        if (!clickAt) return;
        const d = document.querySelector('[role="dialog"]');
        if (!d || !Array.from(d.querySelectorAll('dt')).some((dt) => dt.textContent === 'Task ID')) return;
        const at = clickAt;
        clickAt = 0;
        requestAnimationFrame(() => w.__e2eOpen.push(Math.round(performance.now() - at)));
      }).observe(document.body, { subtree: true, childList: true });
    });

    // Open the dialog of rows across the page: first, middle, last.
    const opened: { name: string; ms: number; wallMs: number; queued: number }[] = [];
    for (const name of ['queued-100.png', 'queued-050.png', 'queued-002.png']) {
      const queued = await page.locator('tr[data-testid="task-row"][data-status="pending"]').count();
      const row = rows.filter({ hasText: name });
      await row.scrollIntoViewIfNeeded();
      const t0 = Date.now();
      await row.click();
      const dialog = page.getByRole('dialog', { name, exact: true });
      // The title is the filename once the task has loaded ("Loading task…" before).
      await dialog.getByText('Task ID', { exact: true }).waitFor();
      const wallMs = Date.now() - t0;
      const times = await page.waitForFunction((n) => {
        const t = (window as unknown as { __e2eOpen: number[] }).__e2eOpen;
        return t.length >= n ? t : false;
      }, opened.length + 1);
      const ms = ((await times.jsonValue()) as number[])[opened.length];
      opened.push({ name, ms, wallMs, queued });
      if (opened.length === 1) await h.shot(page, 'events-03-dialog');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    }
    const worst = Math.max(...opened.map((o) => o.ms));
    h.metrics.hundredQueued = { queueMs, queuedAtLoad, opened, eventStreams: eventStreams().length, streams: [...streams] };
    console.log(
      `100 tasks queued in ${queueMs} ms; ${queuedAtLoad} still queued when the page showed; dialogs opened in ` +
        `${opened.map((o) => `${o.ms} ms (wall clock ${o.wallMs} ms; ${o.queued} queued)`).join(', ')}; ` +
        `event-stream requests: ${JSON.stringify(streams)}`,
    );
    // The measurement only means something while the queue is long.
    expect(opened[0].queued, 'tasks still queued when the first dialog opened').toBeGreaterThanOrEqual(50);
    expect(worst, `dialog open times ${opened.map((o) => o.ms)}`).toBeLessThan(DIALOG_BUDGET_MS);
    expect(eventStreams(), 'one /api/v1/events connection for the page').toHaveLength(1);
    expect(perTaskStreams()).toEqual([]);

    // The rows follow the queue live over that one stream: some finish while we watch.
    await expect
      .poll(() => page.locator('tr[data-testid="task-row"][data-status="completed"]').count(), { timeout: OCR_TIMEOUT, interval: 500 })
      .toBeGreaterThan(3);
    expect(eventStreams()).toHaveLength(1);

    // Let the server stop quickly: cancel what is still queued.
    const res = await fetch(`${h.baseURL}/api/v1/tasks?status=pending&page_size=200`, { headers: { Authorization: `Bearer ${tok}` } });
    const pending = ((await res.json()) as { items: { id: string }[] }).items;
    await Promise.all(
      pending.map((t) => fetch(`${h.baseURL}/api/v1/tasks/${t.id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${tok}` } })),
    );
    await expect.poll(() => page.locator('header .count-badge').count(), { timeout: OCR_TIMEOUT }).toBe(0);
  });

  test('no page threw an uncaught error', () => {
    expect(h.pageErrors).toEqual([]);
  });
});
