// The whole app in a real browser against the real server: sign-in, upload
// with live progress, details and downloads, history filters and export,
// retry of a failed task, dark theme, phone width, a second user, and an
// expired session. The tests share one server, browser and page and run in
// order; each leaves the app where the next one starts.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BrowserContext, Download, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ALICE, BOB, CORPUS, e2eEnabled, startHarness, type Account, type Harness } from './harness';

const enabled = e2eEnabled();

const PHOTOTEST = join(CORPUS, 'pages', 'phototest.tif');
const PHOTOTEST_GT = join(CORPUS, 'pages', 'phototest.txt');
const THREE_PAGES = join(CORPUS, 'multipage', 'three-pages.pdf');
// Half of a real PNG: a valid header, so the upload is accepted, but the
// image data stops midway, so the worker fails the task.
const TRUNCATED_SOURCE = join(CORPUS, 'pages', 'phototest-rotated-L.png');
const TRUNCATED_NAME = 'truncated-scan.png';
const BROKEN_NAME = 'broken.png';
const EUROTEXT = join(CORPUS, 'pages', 'eurotext.tif');
const PHONE_NAME = 'eurotext-scanned-on-a-phone-with-a-rather-long-file-name.tif';

/** OCR_TIMEOUT: 4 pages on one worker take ~6 s; generous for slow CI machines. */
const OCR_TIMEOUT = 120_000;
const UI_TIMEOUT = 15_000;

/** words are the distinct lower-case words of at least minLen letters in a text. */
function words(text: string, minLen = 4): string[] {
  return [...new Set(text.toLowerCase().match(/[a-z]+/g)?.filter((w) => w.length >= minLen) ?? [])];
}

/** parseCSV reads RFC 4180 CSV (quoted fields, doubled quotes, CRLF), without a BOM. */
function parseCSV(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const s = text.replace(/^\ufeff/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

describe.skipIf(!enabled)('ocrbox in a real browser', () => {
  let h: Harness;
  let ctx: BrowserContext;
  let page: Page;
  const ids: Record<string, string> = {};
  let suiteStart = 0;

  /** here is the page's current address, parsed. */
  const here = () => new URL(page.url());
  const uploadRow = (name: string) => page.locator('[data-testid="task-row"]').filter({ hasText: name });
  const historyRows = () => page.locator('tr[data-testid="task-row"]');
  const historyRow = (name: string) => historyRows().filter({ hasText: name });
  /** rowNames are the filenames of the history rows, in order (each row's filename button). */
  const rowNames = () => historyRows().locator('.filename-button').allInnerTexts();
  const dialog = (name: string) => page.getByRole('dialog', { name, exact: true });
  const meta = (scope: Locator, term: string) => scope.locator(`dt:text-is("${term}") + dd`);

  async function signIn(a: Account, password = a.password) {
    await page.getByRole('heading', { name: 'Sign in to ocrbox' }).waitFor();
    await page.getByLabel('Username or email', { exact: true }).fill(a.email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function download(trigger: () => Promise<void>): Promise<{ dl: Download; text: string }> {
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: UI_TIMEOUT }), trigger()]);
    const dir = join(h.artifacts, 'downloads');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, dl.suggestedFilename());
    await dl.saveAs(path);
    return { dl, text: readFileSync(path, 'utf8') };
  }

  /** gotoHistory uses the header link (client-side: upload state and SSE streams survive). */
  async function gotoHistory() {
    await page.getByRole('link', { name: /^Task history/ }).click();
    await page.getByRole('heading', { name: 'Task history', level: 1 }).waitFor();
  }

  /** waitRows waits for the history table to settle on exactly these filenames (any order). */
  async function waitRows(names: string[]) {
    await expect
      .poll(async () => (await rowNames()).sort(), { timeout: UI_TIMEOUT })
      .toEqual([...names].sort());
  }

  /** rowDisplays is the CSS display of each history row (table-row on wide screens). */
  const rowDisplays = () => historyRows().evaluateAll((rs) => rs.map((r) => getComputedStyle(r).display));

  async function noHorizontalScroll() {
    const m = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    expect(m.scroll, `page is ${m.scroll}px wide in a ${m.inner}px window`).toBeLessThanOrEqual(m.inner + 1);
  }

  // The tests build on each other. When one the rest depend on fails (no
  // sign-in, no uploads), the others are skipped instead of each timing out.
  let gate: string | undefined;
  function critical(name: string, fn: () => Promise<void>) {
    test(name, async () => {
      try {
        await fn();
      } catch (e) {
        gate ??= name;
        console.error(
          `ocrbox e2e: "${name}" failed; skipping the tests that depend on it. ` +
            'If the page looks like an old app: the binary embeds ui/dist, so run `npm run build` first (scripts/test-ui checks this).',
        );
        throw e;
      }
    });
  }
  beforeEach((t) => {
    if (gate) t.skip();
  });

  beforeAll(async () => {
    suiteStart = Date.now();
    h = await startHarness();
    ctx = await h.newContext();
    page = await ctx.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
  }, 360_000);

  afterAll(async () => {
    if (!h) return;
    h.metrics.e2eSeconds = Math.round((Date.now() - suiteStart) / 100) / 10;
    await h.stop();
  }, 60_000);

  test('a form on another site cannot sign the visitor into someone else’s account (login CSRF)', async () => {
    // The attacker's page is served from another site (localhost, not
    // 127.0.0.1) and posts Bob's credentials to the sign-in endpoint in every
    // way an HTML form can: urlencoded, multipart, and text/plain shaped like
    // JSON. The victim must end up signed out, with no session cookie.
    const loginURL = `${h.baseURL}/api/v1/auth/login`;
    const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
    const jsonName = `{"username":"${BOB.email}","password":"${BOB.password}","x":"`;
    const forms: Record<string, string> = {
      '/urlencoded': `<form method="post" action="${loginURL}"><input name="username" value="${BOB.email}"><input name="password" value="${BOB.password}"></form>`,
      '/multipart': `<form method="post" enctype="multipart/form-data" action="${loginURL}"><input name="username" value="${BOB.email}"><input name="password" value="${BOB.password}"></form>`,
      '/textplain': `<form method="post" enctype="text/plain" action="${loginURL}"><input name="${esc(jsonName)}" value='"}'></form>`,
    };
    const attacker = createServer((req, res) => {
      const form = forms[req.url ?? ''];
      res.writeHead(form ? 200 : 404, { 'Content-Type': 'text/html' });
      res.end(form ? `<!doctype html><title>win a prize</title>${form}<script>document.forms[0].submit()</script>` : 'no');
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    const port = (attacker.address() as AddressInfo).port;
    const victim = await h.newContext();
    try {
      const p = await victim.newPage();
      const statuses: Record<string, number> = {};
      for (const path of Object.keys(forms)) {
        const answer = p.waitForResponse((r) => r.url() === loginURL && r.request().method() === 'POST');
        await p.goto(`http://localhost:${port}${path}`);
        const res = await answer;
        statuses[path] = res.status();
        expect(res.headers()['set-cookie'] ?? '', `${path} set cookies`).not.toContain('ocrbox_session');
      }
      console.log(`login CSRF attempts answered: ${JSON.stringify(statuses)}`);
      for (const [path, status] of Object.entries(statuses)) expect(status, path).toBeGreaterThanOrEqual(400);
      expect((await victim.cookies(h.baseURL)).map((c) => c.name)).not.toContain('ocrbox_session');
      await p.goto(`${h.baseURL}/`);
      await p.waitForURL((u) => u.pathname === '/login');
      await p.getByRole('heading', { name: 'Sign in to ocrbox' }).waitFor();
      expect(await p.evaluate(async () => (await fetch('/api/v1/auth/me')).status)).toBe(401);
    } finally {
      await victim.close();
      await new Promise((r) => attacker.close(r));
    }
  });

  test('the sign-in page renders quickly from a cold cache', async () => {
    const fresh = await h.newContext();
    const p = await fresh.newPage();
    const wallStart = Date.now();
    await p.goto('/login', { waitUntil: 'commit' });
    // performance.now() counts from the navigation's start, so this is the
    // time from navigation start to the heading being on screen.
    const handle = await p.waitForFunction(
      () => {
        const h1 = Array.from(document.querySelectorAll('h1')).find((e) => e.textContent?.trim() === 'Sign in to ocrbox');
        if (!h1) return false;
        const r = h1.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && getComputedStyle(h1).visibility !== 'hidden' ? performance.now() : false;
      },
      undefined,
      { polling: 'raf', timeout: UI_TIMEOUT },
    );
    const ttfr = Math.round((await handle.jsonValue()) as number);
    const wall = Date.now() - wallStart;
    const timing = await p.evaluate(async () => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      // The paint entry can be recorded a frame after the heading shows.
      const fcp = await new Promise<PerformanceEntry | undefined>((resolve) => {
        const find = (list: PerformanceEntry[]) => list.find((e) => e.name === 'first-contentful-paint');
        const now = find(performance.getEntriesByType('paint'));
        if (now) return resolve(now);
        new PerformanceObserver((l) => {
          const e = find(l.getEntries());
          if (e) resolve(e);
        }).observe({ type: 'paint', buffered: true });
        setTimeout(() => resolve(undefined), 2000);
      });
      return {
        responseEnd: Math.round(nav?.responseEnd ?? -1),
        domContentLoaded: Math.round(nav?.domContentLoadedEventEnd ?? -1),
        load: Math.round(nav?.loadEventEnd ?? -1),
        firstContentfulPaint: Math.round(fcp?.startTime ?? -1),
        transferBytes: nav?.transferSize ?? -1,
      };
    });
    console.log(`time-to-first-render: ${ttfr} ms (wall clock from goto ${wall} ms; FCP ${timing.firstContentfulPaint} ms)`);
    h.metrics.timeToFirstRenderMs = ttfr;
    h.metrics.timeToFirstRenderWallMs = wall;
    h.metrics.signInNavigationTiming = timing;
    await h.shot(p, '01-sign-in');
    await fresh.close();
    // A budget that catches a broken build (blocking requests, a huge bundle), not noise.
    expect(ttfr).toBeLessThan(5_000);
  });

  critical('Alice signs in: a wrong password is explained, then she lands on Upload under her name', async () => {
    await page.goto('/');
    await page.waitForURL((u) => u.pathname === '/login');
    // The return address to / is the default, so it need not be in the URL.
    expect(['', '/'].includes(here().searchParams.get('return_to') ?? '')).toBe(true);

    await signIn(ALICE, 'not-her-password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toBe('Wrong username or password.');
    expect(here().pathname).toBe('/login');

    await signIn(ALICE);
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByRole('heading', { name: 'Upload', exact: true, level: 1 }).waitFor();
    const menuButton = page.getByRole('button', { name: ALICE.name, exact: true });
    await menuButton.waitFor();
    expect(await menuButton.getAttribute('aria-haspopup')).toBe('menu');
    const header = await page.locator('header').first().innerText();
    expect(header).toContain(ALICE.name);
    expect(header).not.toContain(ALICE.email);
    await expect.poll(() => page.getByRole('alert').count()).toBe(0);
  });

  critical('uploads show upload progress, then live status and page progress until Completed', async () => {
    // The options come from GET /engines.
    const engine = page.getByLabel('Engine', { exact: true });
    await engine.waitFor();
    expect(await engine.locator('option').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringMatching(/^tesseract/)]));
    // Languages by name (a checkbox list behind the button); English by default.
    expect(await page.getByRole('button', { name: /^Languages/ }).innerText()).toBe('English');
    for (const out of ['Text', 'hOCR', 'JSON', 'Searchable PDF']) {
      const box = page.getByRole('checkbox', { name: out, exact: true });
      if (!(await box.isChecked())) await box.check();
      expect(await box.isChecked()).toBe(true);
    }

    // Record every state the rows go through (and the header's running
    // badge), so the test can tell live updates from a final state.
    const names = ['phototest.tif', 'three-pages.pdf'];
    await page.evaluate((names) => {
      type Seen = { statuses: string[]; pages: string[]; progress: string[] };
      const seen: Record<string, Seen> = {};
      for (const n of names) seen[n] = { statuses: [], pages: [], progress: [] };
      const badge: (string | null)[] = [];
      const push = <T,>(list: T[], v: T) => list[list.length - 1] !== v && list.push(v);
      const snap = () => {
        for (const r of Array.from(document.querySelectorAll('[data-testid="task-row"]'))) {
          const n = names.find((x) => r.textContent?.includes(x));
          if (!n) continue;
          const st = r.getAttribute('data-status');
          if (st) push(seen[n].statuses, st);
          const m = /(\d+) \/ (\d+) pages/.exec(r.textContent ?? '');
          if (m) push(seen[n].pages, m[0]);
          const bar = r.querySelector('[role="progressbar"]');
          if (bar) push(seen[n].progress, bar.getAttribute('aria-valuenow') ?? '');
        }
        push(badge, document.querySelector('header .count-badge')?.getAttribute('aria-label') ?? null);
      };
      new MutationObserver(snap).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      Object.assign(window, { __e2eSeen: seen, __e2eBadge: badge });
      snap();
    }, names);

    await page.getByLabel('Choose files', { exact: true }).setInputFiles([PHOTOTEST, THREE_PAGES]);
    const pdf = uploadRow('three-pages.pdf');
    await expect.poll(() => pdf.getAttribute('data-status'), { timeout: OCR_TIMEOUT }).toMatch(/^(processing|completed)$/);
    await h.shot(page, '02-upload-progress');

    // "1 / 1 page" is singular in the UI; the contract's form is "{done} / {total} pages".
    for (const [name, pages] of [
      ['phototest.tif', /(^|\s)1 \/ 1 pages?(\s|$)/],
      ['three-pages.pdf', /(^|\s)3 \/ 3 pages(\s|$)/],
    ] as const) {
      const row = uploadRow(name);
      await expect.poll(() => row.getAttribute('data-status'), { timeout: OCR_TIMEOUT }).toBe('completed');
      await expect.poll(() => row.innerText()).toMatch(pages);
      await expect.poll(() => row.locator('.badge').innerText()).toBe('Completed');
      const id = await row.getAttribute('data-task-id');
      expect(id, `${name} row has a task id`).toMatch(/^[0-9a-f-]{20,}$/);
      ids[name] = id!;
    }
    await h.shot(page, '03-upload-done');

    const seen = (await page.evaluate(() => (window as unknown as { __e2eSeen: unknown }).__e2eSeen)) as Record<
      string,
      { statuses: string[]; pages: string[]; progress: string[] }
    >;
    const badge = (await page.evaluate(() => (window as unknown as { __e2eBadge: unknown }).__e2eBadge)) as (string | null)[];
    h.metrics.uploadTimeline = { rows: seen, runningBadge: badge };
    // The recorder lives in the page: had it reloaded, it would be gone.
    expect(seen['phototest.tif'], 'no page reload during the uploads').toBeDefined();
    for (const name of names) {
      const s = seen[name];
      expect(s.statuses[0], `${name} starts as an upload: ${s.statuses}`).toMatch(/^(uploading|waiting|pending)$/);
      expect(s.statuses.at(-1)).toBe('completed');
      expect(s.progress.length, `${name} showed an upload progress bar`).toBeGreaterThan(0);
      for (const v of s.progress) {
        expect(Number(v)).toBeGreaterThanOrEqual(0);
        expect(Number(v)).toBeLessThanOrEqual(100);
      }
    }
    // The PDF's pages advanced one by one over SSE (one worker, ~1.5 s a page).
    const pdfPages = seen['three-pages.pdf'].pages;
    expect(pdfPages, `page progress of three-pages.pdf: ${pdfPages}`).toEqual(expect.arrayContaining([expect.stringMatching(/^[12] \/ 3 pages$/)]));
    expect(pdfPages.at(-1)).toBe('3 / 3 pages');
    expect(seen['three-pages.pdf'].statuses).toContain('processing');
    // The header counted the running tasks, and stopped when they finished.
    expect(badge.some((b) => b !== null && /^\d+ running$/.test(b)), `running badge: ${badge}`).toBe(true);
    await expect.poll(() => page.locator('header .count-badge').count()).toBe(0);
  });

  test('a file that is not an image is rejected in its row; a truncated PNG becomes a failed task', async () => {
    const garbage = randomBytes(4096);
    garbage[0] = 0; // no image format starts with a zero byte
    const png = readFileSync(TRUNCATED_SOURCE);
    await page.getByLabel('Choose files', { exact: true }).setInputFiles([
      { name: BROKEN_NAME, mimeType: 'image/png', buffer: garbage },
      { name: TRUNCATED_NAME, mimeType: 'image/png', buffer: png.subarray(0, Math.floor(png.length / 2)) },
    ]);

    const broken = uploadRow(BROKEN_NAME);
    await expect.poll(() => broken.getAttribute('data-status')).toBe('rejected');
    expect(await broken.getAttribute('data-task-id')).toBeNull();
    const reason = broken.getByRole('alert');
    // The server answers 415 "file type not supported: expected PNG, JPEG, …".
    expect(await reason.innerText()).toMatch(/not supported|image or PDF/i);

    const truncated = uploadRow(TRUNCATED_NAME);
    await expect.poll(() => truncated.getAttribute('data-status'), { timeout: OCR_TIMEOUT }).toBe('failed');
    ids[TRUNCATED_NAME] = (await truncated.getAttribute('data-task-id'))!;
    expect(ids[TRUNCATED_NAME]).toBeTruthy();
    expect(await truncated.locator('.badge').innerText()).toBe('Failed');
    await h.shot(page, '03b-upload-rejected-and-failed');
  });

  test('the details of a completed task show its metadata, text and downloads', async () => {
    await gotoHistory();
    await waitRows(['phototest.tif', 'three-pages.pdf', TRUNCATED_NAME]);
    expect(await page.locator('.filters-total').innerText()).toBe('3 tasks');
    await h.shot(page, '04-history');

    await historyRow('phototest.tif').getByRole('button', { name: 'phototest.tif', exact: true }).click();
    const d = dialog('phototest.tif');
    await d.waitFor();
    expect(here().searchParams.get('task')).toBe(ids['phototest.tif']);
    expect(await meta(d, 'Status').innerText()).toContain('Completed');
    expect(await meta(d, 'Engine').innerText()).toBe('tesseract');
    expect(await meta(d, 'Languages').innerText()).toBe('English');
    expect(await meta(d, 'Pages').innerText()).toBe('1');
    expect(await meta(d, 'Attempts').innerText()).toBe('1');
    expect(await meta(d, 'Task ID').innerText()).toBe(ids['phototest.tif']);
    expect(await meta(d, 'Size').innerText()).toBe(`${(statSync(PHOTOTEST).size / 1024).toFixed(1)} KB`);

    const truth = readFileSync(PHOTOTEST_GT, 'utf8');
    const preview = d.getByRole('region', { name: 'Text preview' });
    await expect.poll(() => preview.innerText()).toContain('quick brown dog');

    for (const label of ['original', 'text', 'hOCR', 'JSON', 'PDF']) {
      await d.getByRole('link', { name: `Download ${label}`, exact: true }).waitFor();
    }
    const { text } = await download(() => d.getByRole('link', { name: 'Download text', exact: true }).click());
    const want = words(truth);
    const got = new Set(words(text));
    const missing = want.filter((w) => !got.has(w));
    // phototest is a clean page: tesseract reads it without errors.
    expect(missing, `ground-truth words missing from the downloaded text`).toEqual([]);
    await h.shot(page, '06-details');

    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
    expect(here().searchParams.has('task')).toBe(false);
  });

  test('on a wide screen the history rows are table rows', async () => {
    // They become stacked cards only on phones (checked at phone width below).
    expect(await rowDisplays()).toEqual(['table-row', 'table-row', 'table-row']);
  });

  test('a failed task shows its error, and no Retry when the file itself is at fault', async () => {
    await historyRow(TRUNCATED_NAME).getByRole('button', { name: TRUNCATED_NAME, exact: true }).click();
    const d = dialog(TRUNCATED_NAME);
    await d.waitFor();
    const alert = d.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/cannot be decoded|corrupt|truncated/i);
    // A truncated file fails the same way every time: the server marks the
    // failure permanent (retryable false) and the dialog says what to do.
    expect(await alert.innerText()).toContain('upload a corrected file');
    expect(await meta(d, 'Attempts').innerText()).toBe('1');
    expect(await meta(d, 'Status').innerText()).toContain('Failed');
    // A failed task has no text, only its input.
    expect(await d.getByRole('link', { name: 'Download text' }).count()).toBe(0);
    await d.getByRole('link', { name: 'Download original', exact: true }).waitFor();
    expect(await d.getByRole('button', { name: 'Retry', exact: true }).count()).toBe(0);
    await h.shot(page, '06b-details-failed');
    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
    await expect.poll(() => historyRow(TRUNCATED_NAME).getAttribute('data-status')).toBe('failed');
  });

  test('history filters, search and sort live in the URL', async () => {
    const status = page.getByLabel('Status', { exact: true });
    await status.selectOption('completed');
    await expect.poll(() => here().searchParams.get('status')).toBe('completed');
    await waitRows(['phototest.tif', 'three-pages.pdf']);
    for (const s of await historyRows().evaluateAll((rs) => rs.map((r) => r.getAttribute('data-status')))) expect(s).toBe('completed');

    const search = page.getByRole('searchbox', { name: 'Search' });
    // A word of the filename…
    await search.fill('phototest');
    await expect.poll(() => here().searchParams.get('q')).toBe('phototest');
    await waitRows(['phototest.tif']);
    // …and a word only the recognised text of the PDF has (eurotext, page 2).
    await search.fill('renard');
    await expect.poll(() => here().searchParams.get('q')).toBe('renard');
    await waitRows(['three-pages.pdf']);
    expect(await page.locator('.filters-total').innerText()).toBe('1 task');
    await h.shot(page, '05-history-filtered');

    await search.fill('qzxvbnonsense');
    await expect.poll(() => here().searchParams.get('q')).toBe('qzxvbnonsense');
    await waitRows([]);
    expect(await page.locator('.filters-total').innerText()).toBe('0 tasks');
    await expect.poll(() => page.locator('main').innerText()).toMatch(/no tasks match|nothing matches|no matching/i);
    await h.shot(page, '05b-history-empty-search');

    await page.getByRole('button', { name: 'Clear filters', exact: true }).click();
    await waitRows(['phototest.tif', 'three-pages.pdf', TRUNCATED_NAME]);
    expect(here().searchParams.has('status')).toBe(false);
    expect(here().searchParams.has('q')).toBe(false);
    expect(await search.inputValue()).toBe('');
    expect(await status.inputValue()).toBe('');

    // Sorting by filename: ascending, then descending, announced by aria-sort.
    const th = (name: string) => page.locator('th').filter({ has: page.getByRole('button', { name, exact: true }) });
    expect(await th('Created').getAttribute('aria-sort')).toBe('descending');
    await page.getByRole('button', { name: 'Filename', exact: true }).click();
    await expect.poll(() => th('Filename').getAttribute('aria-sort')).toBe('ascending');
    expect(await th('Created').getAttribute('aria-sort')).toBe('none');
    expect(here().searchParams.get('sort')).toBe('filename');
    await expect.poll(() => rowNames()).toEqual(['phototest.tif', 'three-pages.pdf', TRUNCATED_NAME]);
    await page.getByRole('button', { name: 'Filename', exact: true }).click();
    await expect.poll(() => th('Filename').getAttribute('aria-sort')).toBe('descending');
    await expect.poll(() => rowNames()).toEqual([TRUNCATED_NAME, 'three-pages.pdf', 'phototest.tif']);

    // A filtered view survives a reload: it can be bookmarked.
    await status.selectOption('failed');
    await waitRows([TRUNCATED_NAME]);
    const bookmarked = page.url();
    await page.reload();
    await page.getByRole('heading', { name: 'Task history', level: 1 }).waitFor();
    expect(page.url()).toBe(bookmarked);
    expect(await page.getByLabel('Status', { exact: true }).inputValue()).toBe('failed');
    await waitRows([TRUNCATED_NAME]);
    expect(await th('Filename').getAttribute('aria-sort')).toBe('descending');
    await page.getByRole('button', { name: 'Clear filters', exact: true }).click();
    await waitRows(['phototest.tif', 'three-pages.pdf', TRUNCATED_NAME]);
  });

  test('Export CSV and Export JSON download Alice’s tasks', async () => {
    const csv = await download(() => page.getByRole('button', { name: 'Export CSV', exact: true }).click());
    expect(csv.dl.suggestedFilename()).toMatch(/^ocrbox-history-\d{8}\.csv$/);
    const rows = parseCSV(csv.text).filter((r) => r.length > 1);
    expect(rows[0].slice(0, 3)).toEqual(['id', 'filename', 'status']);
    const byId = new Map(rows.slice(1).map((r) => [r[0], r]));
    expect(byId.size).toBe(3);
    expect(byId.get(ids['phototest.tif'])?.slice(1, 3)).toEqual(['phototest.tif', 'completed']);
    expect(byId.get(ids['three-pages.pdf'])?.slice(1, 3)).toEqual(['three-pages.pdf', 'completed']);
    expect(byId.get(ids[TRUNCATED_NAME])?.slice(1, 3)).toEqual([TRUNCATED_NAME, 'failed']);

    const json = await download(() => page.getByRole('button', { name: 'Export JSON', exact: true }).click());
    expect(json.dl.suggestedFilename()).toMatch(/^ocrbox-history-\d{8}\.json$/);
    const list = JSON.parse(json.text) as { id: string; filename: string; status: string; attempts: number }[];
    expect(Array.isArray(list)).toBe(true);
    expect(list.map((t) => t.id).sort()).toEqual(Object.values(ids).sort());
    expect(list.find((t) => t.id === ids[TRUNCATED_NAME])).toMatchObject({ filename: TRUNCATED_NAME, status: 'failed', attempts: 1 });
  });

  test('the dark theme follows the system setting', async () => {
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await bg();
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(bg).not.toBe(light);
    const dark = await bg();
    h.metrics.bodyBackground = { light, dark };
    await h.shot(page, '07-dark-history');
    // By keyboard this time: the filename button opens the details…
    const open = historyRow('three-pages.pdf').getByRole('button', { name: 'three-pages.pdf', exact: true });
    await open.focus();
    await page.keyboard.press('Enter');
    const d = dialog('three-pages.pdf');
    await d.waitFor();
    expect(await d.evaluate((el) => el.contains(document.activeElement)), 'focus moves into the dialog').toBe(true);
    await expect.poll(() => d.getByRole('region', { name: 'Text preview' }).innerText()).toContain('quick brown');
    expect(await meta(d, 'Pages').innerText()).toBe('3');
    await h.shot(page, '08-dark-details');
    // …and Escape closes them, returning focus to that button.
    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
    await expect.poll(() => open.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(bg).toBe(light);
  });

  test('at phone width nothing scrolls sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await phoneChecks();
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  });

  async function phoneChecks() {
    await page.getByRole('link', { name: 'Upload', exact: true }).click();
    await page.getByRole('heading', { name: 'Upload', exact: true, level: 1 }).waitFor();
    // The earlier reload emptied the (in-memory) upload list: upload one more
    // page from the phone, with a long name that must wrap, not overflow.
    await page.getByLabel('Choose files', { exact: true }).setInputFiles({ name: PHONE_NAME, mimeType: 'image/tiff', buffer: readFileSync(EUROTEXT) });
    const row = uploadRow(PHONE_NAME);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: OCR_TIMEOUT }).toBe('completed');
    ids[PHONE_NAME] = (await row.getAttribute('data-task-id'))!;
    await noHorizontalScroll();
    await h.shot(page, '09-phone-upload');
    await gotoHistory();
    await waitRows(['phototest.tif', 'three-pages.pdf', TRUNCATED_NAME, PHONE_NAME]);
    await noHorizontalScroll();
    // Phones get the rows as stacked cards.
    expect(new Set(await rowDisplays())).toEqual(new Set(['block']));
    await h.shot(page, '10-phone-history');
  }

  test('signing out returns to sign-in; a protected page asks to sign in and comes back', async () => {
    await page.getByRole('button', { name: ALICE.name, exact: true }).click();
    await page.getByRole('menu').waitFor();
    // The usage is beside the menu in its popup (a menu holds only its items).
    await expect.poll(() => page.getByRole('group', { name: 'Your usage' }).innerText()).toMatch(/Tasks\s*4\b/);
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByRole('heading', { name: 'Sign in to ocrbox' }).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'signed out' }).count()).toBe(1);

    await page.goto('/history');
    await page.waitForURL((u) => u.pathname === '/login');
    expect(here().search).toBe('?return_to=%2Fhistory');
    await signIn(BOB);
    await page.waitForURL((u) => u.pathname === '/history');
    await page.getByRole('button', { name: BOB.name, exact: true }).waitFor();
  });

  test('Bob sees none of Alice’s tasks', async () => {
    await page.getByRole('heading', { name: 'Task history', level: 1 }).waitFor();
    await expect.poll(() => page.locator('.filters-total').innerText()).toBe('0 tasks');
    expect(await historyRows().count()).toBe(0);
    // The empty state replaces the table once the list settles (the event
    // stream's first "ready" refetches it): wait for it rather than read once.
    await page.getByText('No tasks yet').waitFor();
    expect(await page.locator('main').innerText()).not.toContain('phototest.tif');
    await h.shot(page, '11-second-user');

    await page.goto(`/history?task=${ids['phototest.tif']}`);
    const d = page.getByRole('dialog');
    await d.waitFor();
    await expect.poll(() => d.getByRole('alert').innerText()).toBe('This task does not exist or is not yours.');
    expect(await d.innerText()).not.toContain('phototest.tif');
    await h.shot(page, '12-not-yours');
    const status = await page.evaluate(async (id) => (await fetch(`/api/v1/tasks/${id}`)).status, ids['phototest.tif']);
    expect(status).toBe(403);
    await page.keyboard.press('Escape');
    await d.waitFor({ state: 'detached' });
  });

  test('an expired session sends the user to sign-in and back', async () => {
    await ctx.clearCookies();
    // The next request answers 401: the app must notice and ask to sign in.
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await page.waitForURL((u) => u.pathname === '/login');
    expect(here().searchParams.get('return_to')).toBe('/history?status=failed');
    await page.getByRole('status').filter({ hasText: 'Your session has expired' }).waitFor();
    await h.shot(page, '13-session-expired');
    await signIn(BOB);
    await page.waitForURL((u) => u.pathname === '/history' && u.searchParams.get('status') === 'failed');
    expect(await page.getByLabel('Status', { exact: true }).inputValue()).toBe('failed');
  });

  test('no page threw an uncaught error', () => {
    expect(h.pageErrors).toEqual([]);
  });
});
