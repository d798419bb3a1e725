import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useTaskStore } from '../stores/taskStore';
import { runBulk, summarise } from './BulkActions';
import { pageItems } from './Pagination';
import { TaskHistory } from './TaskHistory';
import { mainOutput } from './TaskList';
import { apiError, currentSearch, json, makeTask, page, renderAt, stubFetch } from './testUtils';

const pdf = { id: 'f-pdf', kind: 'pdf' as const, name: 'scan.ocr.pdf', size: 10, content_type: 'application/pdf', created_at: '2024-05-01T10:00:05Z' };
const txt = { id: 'f-txt', kind: 'txt' as const, name: 'scan.txt', size: 10, content_type: 'text/plain', created_at: '2024-05-01T10:00:05Z' };
const tasks = [
  makeTask({ id: 'a', filename: 'alpha.png', lang: 'eng+deu', input_bytes: 2048, files: [txt, pdf] }),
  makeTask({ id: 'b', filename: 'beta.tif', status: 'failed', error: 'engine crashed', retryable: true }),
  makeTask({ id: 'c', filename: 'gamma.png', status: 'failed', error: 'not an image', retryable: false }),
];

beforeEach(() => useTaskStore.getState().reset());
afterEach(() => vi.unstubAllGlobals());

describe('history table columns and row actions', () => {
  it('shows engine, languages by name and size, a download of the main output and Retry where it can help', async () => {
    stubFetch({ 'GET /history': () => json(page(tasks, 3)) });
    renderAt('/history', <TaskHistory />);
    const rows = await screen.findAllByTestId('task-row');
    const headers = screen.getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(expect.arrayContaining(['Engine', 'Languages', 'Size']));
    expect(rows[0]).toHaveTextContent('English, German');
    expect(rows[0]).toHaveTextContent('2.0 KB');
    expect(rows[0]).toHaveTextContent('tesseract');
    const dl = within(rows[0]).getByRole('link', { name: 'Download PDF of alpha.png' });
    expect(dl).toHaveAttribute('href', '/api/v1/tasks/a/files/f-pdf');
    expect(dl).toHaveAttribute('download', 'scan.ocr.pdf');
    expect(within(rows[1]).getByRole('button', { name: 'Retry beta.tif' })).toBeEnabled();
    // A permanent failure offers no retry; nothing finished, nothing to download.
    expect(within(rows[2]).queryByRole('button', { name: /^Retry/ })).toBeNull();
    expect(within(rows[1]).queryByRole('link', { name: /^Download/ })).toBeNull();
  });

  it('retries a row without opening its details', async () => {
    let retried = false;
    const calls = stubFetch({
      'GET /history': () => json(page(retried ? [tasks[0], { ...tasks[1], status: 'pending', retryable: false }, tasks[2]] : tasks, 3)),
      'POST /tasks/b/retry': () => ((retried = true), json({ ...tasks[1], status: 'pending', retryable: false }, 202)),
    });
    renderAt('/history', <TaskHistory />);
    const rows = await screen.findAllByTestId('task-row');
    await userEvent.click(within(rows[1]).getByRole('button', { name: 'Retry beta.tif' }));
    await waitFor(() => expect(screen.getAllByTestId('task-row')[1]).toHaveAttribute('data-status', 'pending'));
    expect(calls.some((c) => c.method === 'POST' && c.path === '/tasks/b/retry')).toBe(true);
    expect(currentSearch().get('task')).toBeNull();
  });

  it('picks the searchable PDF, else the text, to download from a row', () => {
    expect(mainOutput(makeTask({ files: [txt, pdf] }))?.kind).toBe('pdf');
    expect(mainOutput(makeTask({ files: [txt] }))?.kind).toBe('txt');
    expect(mainOutput(makeTask({ files: [] }))).toBeUndefined();
  });
});

describe('bulk actions', () => {
  it('selects all, confirms a bulk delete listing the names, and sums up what failed', async () => {
    const calls = stubFetch({
      'GET /history': () => json(page(tasks, 3)),
      'DELETE /tasks/a': () => new Response(null, { status: 204 }),
      'DELETE /tasks/b': () => apiError(409, 'conflict', 'the task is being deleted already'),
      'DELETE /tasks/c': () => new Response(null, { status: 204 }),
    });
    renderAt('/history', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    const user = userEvent.setup();
    expect(screen.queryByRole('region', { name: 'Selected tasks' })).toBeNull();
    await user.click(screen.getByRole('checkbox', { name: 'Select all tasks on this page' }));
    const bar = screen.getByRole('region', { name: 'Selected tasks' });
    expect(bar).toHaveTextContent('3 tasks selected');
    // Retry counts only the one a retry can help.
    expect(within(bar).getByRole('button', { name: 'Retry 1' })).toBeEnabled();

    await user.click(within(bar).getByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete 3 tasks?' });
    expect(within(dialog).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['alpha.png', 'beta.tif', 'gamma.png']);
    await user.click(within(dialog).getByRole('button', { name: 'Delete 3 tasks' }));

    await waitFor(() => expect(screen.getByText(/Deleted 2 tasks; 1 failed\./)).toBeInTheDocument());
    expect(screen.getByText(/Deleted 2 tasks/).closest('[role="status"]')).not.toBeNull();
    expect(screen.getByText('beta.tif: the task is being deleted already')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path).sort()).toEqual(['/tasks/a', '/tasks/b', '/tasks/c']);
    // The list is asked again, and the selection is gone.
    await waitFor(() => expect(calls.filter((c) => c.path === '/history').length).toBeGreaterThanOrEqual(2));
    expect(screen.queryByRole('region', { name: 'Selected tasks' })).toBeNull();
  });

  it('bulk-retries only the tasks a retry can help, after asking', async () => {
    const calls = stubFetch({
      'GET /history': () => json(page(tasks, 3)),
      'POST /tasks/b/retry': () => json({ ...tasks[1], status: 'pending' }, 202),
    });
    renderAt('/history', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    const user = userEvent.setup();
    await user.click(screen.getByRole('checkbox', { name: 'Select beta.tif' }));
    await user.click(screen.getByRole('checkbox', { name: 'Select gamma.png' }));
    expect(screen.getByRole('checkbox', { name: 'Select all tasks on this page' })).toHaveProperty('indeterminate', true);
    await user.click(screen.getByRole('button', { name: 'Retry 1' }));
    const dialog = screen.getByRole('dialog', { name: 'Retry 1 task?' });
    expect(dialog).toHaveTextContent('1 other task cannot be retried');
    await user.click(within(dialog).getByRole('button', { name: 'Retry 1 task' }));
    await waitFor(() => expect(screen.getByText(/Retried 1 task\./)).toBeInTheDocument());
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/tasks/b/retry']);
  });

  it('runs a few at a time and reports every outcome', async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: 7 }, (_, i) => makeTask({ id: `t${i}`, filename: `${i}.png` }));
    const out = await runBulk(items, async (t) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (t.id === 't3') throw new Error('nope');
    });
    expect(most).toBe(3);
    expect(summarise('delete', out)).toEqual({ action: 'delete', done: 6, failed: [{ filename: '3.png', reason: 'nope' }] });
  });
});

describe('numbered pages', () => {
  it.each([
    [1, 1, [1]],
    [1, 3, [1, 2, 3]],
    [1, 9, [1, 2, '…', 9]],
    [5, 9, [1, '…', 4, 5, 6, '…', 9]],
    [3, 9, [1, 2, 3, 4, '…', 9]],
    [9, 9, [1, '…', 8, 9]],
    [4, 7, [1, 2, 3, 4, 5, 6, 7]],
  ])('page %i of %i: %j', (cur, pages, want) => expect(pageItems(cur, pages)).toEqual(want));

  it('jumps to a numbered page and marks the current one', async () => {
    stubFetch({ 'GET /history': (c) => json(page(tasks, 200, Number(c.query.get('page') ?? 1))) });
    renderAt('/history?page=5', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    const nav = screen.getByRole('navigation', { name: 'Pagination' });
    expect(within(nav).getByRole('button', { name: 'Page 5' })).toHaveAttribute('aria-current', 'page');
    expect(within(nav).getAllByRole('button', { name: /^Page \d+$/ }).map((b) => b.textContent)).toEqual(['1', '4', '5', '6', '10']);
    await userEvent.click(within(nav).getByRole('button', { name: 'Page 10' }));
    await waitFor(() => expect(currentSearch().get('page')).toBe('10'));
  });
});
