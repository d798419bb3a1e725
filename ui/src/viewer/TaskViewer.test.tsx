import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryRouter, Route, Routes, useLocation, type InitialEntry } from 'react-router';
import type { Task, TaskFile } from '../api/types';
import { apiError, json, makeTask, stubFetch, type Call } from '../history/testUtils';
import { useTaskStore } from '../stores/taskStore';
import type { Matches } from './model';
import TaskViewer from './TaskViewer';
import { resultJSON } from './testData';

function file(id: string, kind: TaskFile['kind'], name: string): TaskFile {
  return { id, kind, name, size: 100, content_type: 'application/octet-stream', created_at: '2024-05-01T10:00:05Z' };
}

const TASK = makeTask({
  id: 't1',
  filename: 'letter.pdf',
  pages_total: 2,
  pages_done: 2,
  files: [file('f-in', 'input', 'letter.pdf'), file('f-json', 'json', 'letter.json'), file('f-txt', 'txt', 'letter.txt')],
});

const MATCHES: Matches = {
  terms: ['invoice'],
  truncated: false,
  pages: [{ page: 2, width: 1000, height: 1400, boxes: [{ x: 500, y: 700, w: 200, h: 60, word: 'Invoice' }] }],
};

function serve(task: Task = TASK, extra: Record<string, (c: Call) => Response | undefined> = {}) {
  return stubFetch({
    'GET /tasks/t1': () => json(task),
    'GET /tasks/:id': () => apiError(404, 'not_found', 'task not found'),
    'GET /tasks/t1/files/f-json': () => new Response(resultJSON(), { headers: { 'Content-Type': 'application/json' } }),
    'GET /tasks/t1/matches': () => json(MATCHES),
    ...extra,
  });
}

function Where() {
  const loc = useLocation();
  return <output data-testid="location">{loc.pathname + loc.search}</output>;
}

/** renderViewer renders the viewer route after the given history entries. */
function renderViewer(entries: InitialEntry[]) {
  return render(
    <MemoryRouter initialEntries={entries} initialIndex={entries.length - 1}>
      <Routes>
        <Route
          path="/tasks/:id"
          element={
            <>
              <TaskViewer />
              <Where />
            </>
          }
        />
        <Route
          path="/history"
          element={
            <>
              <p>History page</p>
              <Where />
            </>
          }
        />
      </Routes>
    </MemoryRouter>,
  );
}

const where = () => screen.getByTestId('location').textContent ?? '';
const pageTitle = () => document.getElementById('viewer-page-title')?.textContent;

/** ready waits until the result is on screen (the text layer of the page). */
async function ready() {
  await screen.findByRole('heading', { level: 1, name: 'letter.pdf' });
  await waitFor(() => expect(screen.queryByTestId('text-layer') ?? screen.queryByTestId('text-view')).not.toBeNull());
}

beforeEach(() => {
  useTaskStore.getState().reset();
});
afterEach(() => {
  vi.unstubAllGlobals();
  Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
});

describe('TaskViewer', () => {
  it('opens on page 1 with the heading focused, one thumbnail per page, and the words over the image', async () => {
    serve();
    renderViewer(['/tasks/t1']);
    await ready();
    expect(screen.getByRole('heading', { level: 1 })).toHaveFocus();
    expect(document.title).toBe('letter.pdf · ocrbox');
    expect(pageTitle()).toBe('Page 1 of 2');
    const nav = screen.getByRole('navigation', { name: 'Pages' });
    expect(within(nav).getAllByRole('button').map((b) => b.textContent)).toEqual(['Page 1', 'Page 2']);
    expect(within(nav).getByRole('button', { name: 'Page 1' })).toHaveAttribute('aria-current', 'page');
    expect(screen.getByRole('button', { name: 'Text over image' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByTestId('text-layer')).toHaveTextContent('DearSirpleasepay');
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeDisabled();
  });

  it('changes page with the arrow keys, PageUp/PageDown, the buttons and the thumbnails, in the URL', async () => {
    serve();
    renderViewer(['/tasks/t1']);
    await ready();
    const user = userEvent.setup();
    await user.keyboard('{ArrowRight}');
    expect(pageTitle()).toBe('Page 2 of 2');
    expect(where()).toBe('/tasks/t1?page=2');
    expect(screen.getByRole('img', { name: 'Page 2 of letter.pdf' })).toHaveAttribute('src', '/api/v1/tasks/t1/pages/2/image?width=1024');
    await user.keyboard('{ArrowRight}'); // the last page stays
    expect(pageTitle()).toBe('Page 2 of 2');
    await user.keyboard('{PageUp}');
    expect(pageTitle()).toBe('Page 1 of 2');
    await user.keyboard('{PageDown}');
    expect(pageTitle()).toBe('Page 2 of 2');
    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    expect(pageTitle()).toBe('Page 1 of 2');
    await user.click(screen.getByRole('button', { name: 'Page 2' }));
    expect(pageTitle()).toBe('Page 2 of 2');
    expect(screen.getByRole('button', { name: 'Page 2' })).toHaveAttribute('aria-current', 'page');
    // A modified key is someone else's shortcut.
    await user.keyboard('{Alt>}{ArrowLeft}{/Alt}');
    expect(pageTitle()).toBe('Page 2 of 2');
  });

  it('a swipe changes page on a touch screen; a mouse drag does not (it selects text)', async () => {
    // jsdom has no PointerEvent: a MouseEvent with the pointer's fields will do.
    class FakePointerEvent extends MouseEvent {
      pointerType: string;
      pointerId: number;
      constructor(type: string, init: PointerEventInit = {}) {
        super(type, init);
        this.pointerType = init.pointerType ?? 'mouse';
        this.pointerId = init.pointerId ?? 0;
      }
    }
    vi.stubGlobal('PointerEvent', FakePointerEvent);
    serve();
    renderViewer(['/tasks/t1']);
    await ready();
    const pane = screen.getByRole('region', { name: 'Page 1 of 2' });
    const swipe = (type: string, from: number, to: number) => {
      fireEvent.pointerDown(pane, { pointerType: type, pointerId: 1, clientX: from, clientY: 300 });
      fireEvent.pointerUp(pane, { pointerType: type, pointerId: 1, clientX: to, clientY: 310 });
    };
    swipe('mouse', 300, 100);
    expect(pageTitle()).toBe('Page 1 of 2');
    swipe('touch', 300, 100);
    expect(pageTitle()).toBe('Page 2 of 2');
    swipe('touch', 100, 120); // too short
    expect(pageTitle()).toBe('Page 2 of 2');
    swipe('touch', 100, 300);
    expect(pageTitle()).toBe('Page 1 of 2');
  });

  it('Escape goes back where the viewer was opened from', async () => {
    serve();
    renderViewer(['/history?q=dear&task=t1', { pathname: '/tasks/t1', state: { from: '/history?q=dear&task=t1' } }]);
    await ready();
    await userEvent.keyboard('{ArrowRight}');
    await userEvent.keyboard('{Escape}');
    expect(where()).toBe('/history?q=dear&task=t1');
  });

  it('Escape from a link opened directly goes to the task in the history', async () => {
    serve();
    renderViewer(['/tasks/t1?page=2']);
    await ready();
    await userEvent.click(screen.getByRole('button', { name: /Back to history/ }));
    expect(where()).toBe('/history?task=t1');
  });

  it('switches between image, text over image and text only (every page under its marker)', async () => {
    serve();
    renderViewer(['/tasks/t1']);
    await ready();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Text only' }));
    expect(where()).toBe('/tasks/t1?view=text');
    const text = screen.getByTestId('text-view');
    expect(within(text).getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toEqual(['Page 1', 'Page 2']);
    expect(within(text).getByRole('region', { name: 'Page 2' })).toHaveTextContent('Invoice 42');
    expect(screen.queryByRole('img')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Image' }));
    expect(screen.getByRole('img', { name: 'Page 1 of letter.pdf' })).toBeInTheDocument();
    expect(screen.queryByTestId('text-layer')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Text over image' }));
    expect(screen.getByTestId('text-layer')).toBeInTheDocument();
    expect(where()).toBe('/tasks/t1');
  });

  it('copies the page’s and the whole task’s text, confirming each', async () => {
    serve();
    renderViewer(['/tasks/t1']);
    await ready();
    const user = userEvent.setup();
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await user.click(screen.getByRole('button', { name: 'Copy page text' }));
    expect(writeText).toHaveBeenLastCalledWith('Dear Sir\nplease pay');
    expect(await screen.findByText('Copied the text of page 1.')).toHaveAttribute('role', 'status');
    await user.click(screen.getByRole('button', { name: 'Copy all text' }));
    expect(writeText).toHaveBeenLastCalledWith('Dear Sir\nplease pay\n\nInvoice 42');
    expect(await screen.findByText('Copied the text of all pages.')).toBeInTheDocument();
  });

  it('shows the text selected for Ctrl+C when the browser will not copy', async () => {
    serve();
    renderViewer(['/tasks/t1']);
    await ready();
    const user = userEvent.setup();
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: vi.fn().mockRejectedValue(new Error('denied')) }, configurable: true });
    await user.click(screen.getByRole('button', { name: 'Copy page text' }));
    const dialog = await screen.findByRole('dialog', { name: 'Copy the text' });
    const area = within(dialog).getByRole('textbox', { name: 'Text to copy' }) as HTMLTextAreaElement;
    expect(area.value).toBe('Dear Sir\nplease pay');
    await waitFor(() => expect(area).toHaveFocus());
    expect(area.selectionEnd - area.selectionStart).toBe(area.value.length);
    // Escape closes the dialog, not the viewer.
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(where()).toBe('/tasks/t1');
  });

  it('opened from a search, lands on the first hit’s page with the hits marked and steps through them', async () => {
    const calls = serve();
    renderViewer(['/tasks/t1?q=invoice']);
    await screen.findByRole('heading', { level: 1, name: 'letter.pdf' });
    await waitFor(() => expect(pageTitle()).toBe('Page 2 of 2'));
    const m = calls.find((c) => c.path === '/tasks/t1/matches');
    expect(m?.query.get('q')).toBe('invoice');
    const search = screen.getByRole('region', { name: 'Search hits' });
    expect(search).toHaveTextContent('Hit 1 of 1 for “invoice”');
    const marks = await screen.findAllByTestId('search-hit');
    expect(marks).toHaveLength(1);
    expect(marks[0]).toHaveClass('is-active');
    expect(marks[0].style).toMatchObject({ left: '50%', top: '50%', width: '20%' });
    expect(screen.getByRole('button', { name: 'Page 2 1 hit' })).toBeInTheDocument();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Page 1' }));
    expect(screen.queryAllByTestId('search-hit')).toHaveLength(0);
    await user.click(within(search).getByRole('button', { name: 'Next hit' }));
    expect(pageTitle()).toBe('Page 2 of 2');
    expect(screen.getByText('Hit 1 of 1: “Invoice” on page 2.')).toBeInTheDocument();
    // In text-only mode the found words are marked in the text.
    await user.click(screen.getByRole('button', { name: 'Text only' }));
    expect(within(screen.getByTestId('text-view')).getByText('Invoice').tagName).toBe('MARK');
    await user.click(within(search).getByRole('button', { name: 'Clear search' }));
    expect(where()).toBe('/tasks/t1?page=2&view=text');
    expect(screen.queryByRole('region', { name: 'Search hits' })).toBeNull();
  });

  it('a link with a page keeps that page even when the search hits elsewhere', async () => {
    serve();
    renderViewer(['/tasks/t1?q=invoice&page=1']);
    await screen.findByText('Hit 1 of 1 for “invoice”', { exact: false });
    expect(pageTitle()).toBe('Page 1 of 2');
  });

  it('says when the search’s words are not on the pages', async () => {
    serve(TASK, { 'GET /tasks/t1/matches': () => json({ terms: ['letter'], pages: [], truncated: false }) });
    renderViewer(['/tasks/t1?q=letter']);
    expect(await screen.findByText(/No words of “letter” on the pages/)).toBeInTheDocument();
  });

  it('walks through the doubtful words, page by page, and shades by confidence with a legend', async () => {
    serve();
    renderViewer(['/tasks/t1']);
    await ready();
    const user = userEvent.setup();
    const next = screen.getByRole('button', { name: 'Next doubtful word (2)' });
    await user.click(next);
    expect(pageTitle()).toBe('Page 1 of 2');
    expect(screen.getByTestId('doubtful-word').style.left).toBe('10%');
    expect(screen.getByText('Doubtful word 1 of 2: “please” on page 1, 40 % sure.')).toBeInTheDocument();
    await user.click(next);
    expect(pageTitle()).toBe('Page 2 of 2');
    expect(screen.getByTestId('doubtful-word').style.left).toBe('50%');
    await user.click(next); // and round again
    expect(pageTitle()).toBe('Page 1 of 2');

    expect(screen.queryByLabelText('Confidence shading')).toBeNull();
    await user.click(screen.getByRole('checkbox', { name: 'Shade by confidence' }));
    expect(screen.getByLabelText('Confidence shading')).toHaveTextContent('Sure (85 % or more) Fairly sure (60–84 %) Doubtful (below 60 %)');
    expect(document.querySelectorAll('.viewer-shade > span')).toHaveLength(4);
  });

  it('a result to check shows the reason, its pages (marked in the list) and uses its threshold', async () => {
    const review = { reason: 'page 2: mean confidence 50 % (below 75 %)', threshold: 75, pages: [{ page: 2, mean_confidence: 50 }] };
    serve({ ...TASK, review });
    renderViewer(['/tasks/t1']);
    await ready();
    const note = screen.getByRole('note', { name: 'Check result' });
    expect(note).toHaveTextContent('Check this result: page 2: mean confidence 50 % (below 75 %)');
    expect(screen.getByText('Check result', { selector: '.badge' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Page 2 Check result' })).toHaveClass('is-check');
    // 75 makes "pay" (70) doubtful too.
    expect(screen.getByRole('button', { name: 'Next doubtful word (3)' })).toBeInTheDocument();
    await userEvent.click(within(note).getByRole('button', { name: 'Page 2 (50 %)' }));
    expect(pageTitle()).toBe('Page 2 of 2');
  });

  it('offers every output for download', async () => {
    serve();
    renderViewer(['/tasks/t1']);
    await ready();
    await userEvent.click(screen.getByText('Downloads'));
    const links = screen.getAllByRole('link', { name: /^Download / });
    expect(links.map((a) => a.textContent)).toEqual(['Download original', 'Download text', 'Download JSON']);
    expect(links[2]).toHaveAttribute('href', '/api/v1/tasks/t1/files/f-json');
    expect(links[2]).toHaveAttribute('download', 'letter.json');
  });

  it('reads the text output split into pages when there is no JSON (and says why there are no boxes)', async () => {
    const task = { ...TASK, files: [file('f-txt', 'txt', 'letter.txt')] };
    serve(task, { 'GET /tasks/t1/files/f-txt': () => new Response('first page\n\fsecond page\n') });
    renderViewer(['/tasks/t1']);
    expect(await screen.findByText(/made without the JSON output/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Text only' }));
    expect(screen.getByRole('region', { name: 'Page 2' })).toHaveTextContent('second page');
  });

  it('says so when the task does not exist or is not the caller’s', async () => {
    serve();
    renderViewer(['/tasks/nope']);
    expect(await screen.findByRole('alert')).toHaveTextContent('This task does not exist or is not yours.');
  });

  it('follows a running task through the event store until its result is there', async () => {
    const running = { ...TASK, status: 'processing' as const, pages_done: 1, files: [file('f-in', 'input', 'letter.pdf')] };
    serve(running);
    renderViewer(['/tasks/t1?q=invoice']);
    expect(await screen.findByText(/Recognition is running: 1 of 2 pages/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Copy page text' })).toBeDisabled();
    // No hits before there is a result to find them in.
    expect(screen.queryByRole('region', { name: 'Search hits' })).toBeNull();
    act(() => useTaskStore.getState().upsert(TASK));
    await ready();
    expect(screen.queryByText(/Recognition is running/)).toBeNull();
    expect(await screen.findByText('Hit 1 of 1 for “invoice”', { exact: false })).toBeInTheDocument();
  });
});
