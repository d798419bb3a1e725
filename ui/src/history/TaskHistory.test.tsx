import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectTaskEvents } from '../stores/taskEvents';
import { useTaskStore } from '../stores/taskStore';
import { FakeEventSource, installFakes } from '../upload/testFakes';
import { RELOAD_WAIT_MS, TaskHistory } from './TaskHistory';
import { apiError, currentSearch, json, makeTask, page, renderAt, stubFetch, type Call } from './testUtils';

const tasks = [
  makeTask({ id: 'a', filename: 'alpha.png', status: 'completed', pages_total: 1, duration_ms: 1500 }),
  makeTask({ id: 'b', filename: 'beta.pdf', status: 'processing', pages_total: 10, pages_done: 3, duration_ms: 0 }),
  makeTask({ id: 'c', filename: 'gamma.tif', status: 'failed', error: 'engine crashed' }),
];

function historyCalls(calls: Call[]): Call[] {
  return calls.filter((c) => c.method === 'GET' && c.path === '/history');
}

beforeEach(() => {
  useTaskStore.getState().reset();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('TaskHistory list', () => {
  it('loads the URL query and shows rows with status, pages and live progress', async () => {
    const calls = stubFetch({ 'GET /history': () => json(page(tasks, 3)) });
    renderAt('/history?status=completed&sort=filename&order=asc&page_size=50&bogus=1', <TaskHistory />);

    expect(screen.getByRole('heading', { name: 'Task history' })).toBeInTheDocument();
    expect(document.title).toBe('History · ocrbox');
    const rows = await screen.findAllByTestId('task-row');
    expect(rows.map((r) => r.getAttribute('data-task-id'))).toEqual(['a', 'b', 'c']);
    expect(rows[1]).toHaveAttribute('data-status', 'processing');
    expect(within(rows[1]).getByText('Processing')).toBeInTheDocument();
    expect(rows[1]).toHaveTextContent('3/10');
    expect(within(rows[0]).getByText('1.5 s')).toBeInTheDocument();
    expect(rows[0].querySelector('time')).toHaveAttribute('dateTime', '2024-05-01T10:00:00Z');
    expect(screen.getByText('3 tasks')).toBeInTheDocument();

    const q = historyCalls(calls)[0].query;
    expect(Object.fromEntries(q)).toEqual({ status: 'completed', sort: 'filename', order: 'asc', page: '1', page_size: '50' });
    // The running task joins the store, which the event stream keeps current.
    expect(Object.keys(useTaskStore.getState().byId)).toEqual(['b']);
  });

  it('overlays live store versions on the fetched rows', async () => {
    stubFetch({ 'GET /history': () => json(page(tasks, 3)) });
    renderAt('/history', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    act(() => useTaskStore.getState().upsert({ ...tasks[1], status: 'completed', pages_done: 10, duration_ms: 65_000 }));
    const row = screen.getAllByTestId('task-row')[1];
    expect(row).toHaveAttribute('data-status', 'completed');
    expect(row).toHaveTextContent('1 min 05 s');
  });

  it('shows skeleton rows while loading, then keeps old rows dimmed while reloading', async () => {
    let release: (r: Response) => void = () => {};
    let n = 0;
    stubFetch({
      'GET /history': () => {
        n++;
        if (n === 1) return json(page(tasks, 3));
        return new Promise<Response>((r) => (release = r));
      },
    });
    const { container } = renderAt('/history', <TaskHistory />);
    expect(container.querySelectorAll('.history-skeleton-row').length).toBeGreaterThan(0);
    await screen.findAllByTestId('task-row');

    await userEvent.selectOptions(screen.getByLabelText('Status'), 'failed');
    await waitFor(() => expect(container.querySelector('table')).toHaveClass('is-stale'));
    expect(screen.getAllByTestId('task-row')).toHaveLength(3);
    act(() => release(json(page([tasks[2]], 1))));
    await waitFor(() => expect(screen.getAllByTestId('task-row')).toHaveLength(1));
    expect(container.querySelector('table')).not.toHaveClass('is-stale');
  });

  it('filters update the URL and reset the page to 1', async () => {
    const calls = stubFetch({ 'GET /history': (c) => json(page(tasks, 95, Number(c.query.get('page') ?? 1))) });
    renderAt('/history?page=3', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    expect(screen.getByText('Page 3 of 5')).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByLabelText('Status'), 'failed');
    await waitFor(() => expect(currentSearch().get('status')).toBe('failed'));
    expect(currentSearch().get('page')).toBeNull();
    await waitFor(() => expect(historyCalls(calls).at(-1)?.query.get('status')).toBe('failed'));
    expect(historyCalls(calls).at(-1)?.query.get('page')).toBe('1');

    const from = screen.getByLabelText('From');
    await userEvent.type(from, '2024-05-01');
    await waitFor(() => expect(currentSearch().get('from')).toBe('2024-05-01'));
    expect(currentSearch().get('status')).toBe('failed');
  });

  it('refuses an inverted date range with a message instead of a request', async () => {
    const calls = stubFetch({ 'GET /history': () => json(page(tasks, 3)) });
    renderAt('/history?from=2024-05-10', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    const before = historyCalls(calls).length;
    await userEvent.type(screen.getByLabelText('To'), '2024-05-01');
    expect(await screen.findByText('“From” must be on or before “To”.')).toHaveAttribute('role', 'alert');
    expect(screen.getByLabelText('To')).toHaveAttribute('aria-invalid', 'true');
    expect(currentSearch().get('to')).toBeNull();
    expect(historyCalls(calls)).toHaveLength(before);
  });

  it('debounces the search and only then puts it in the URL', async () => {
    const calls = stubFetch({ 'GET /history': () => json(page(tasks, 3)) });
    renderAt('/history?page=2', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    const search = screen.getByRole('searchbox', { name: 'Search' });
    expect(search).toHaveAttribute('placeholder', 'Filename or text…');

    await userEvent.type(search, 'invoice 42');
    // Typing took well under the debounce per key: nothing sent yet.
    expect(currentSearch().get('q')).toBeNull();
    await waitFor(() => expect(currentSearch().get('q')).toBe('invoice 42'));
    expect(currentSearch().get('page')).toBeNull();
    await waitFor(() => expect(historyCalls(calls).at(-1)?.query.get('q')).toBe('invoice 42'));
    // One request for the first load, one for the finished word: not one per key.
    expect(historyCalls(calls).filter((c) => c.query.get('q'))).toHaveLength(1);
    expect(search).toHaveValue('invoice 42');
  });

  it('Clear filters resets every filter and is disabled without filters', async () => {
    stubFetch({ 'GET /history': () => json(page(tasks, 3)) });
    renderAt('/history?status=failed&q=abc&from=2024-01-01&sort=filename', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    expect(screen.getByRole('searchbox', { name: 'Search' })).toHaveValue('abc');
    expect(screen.getByLabelText('From')).toHaveValue('2024-01-01');
    const clear = screen.getByRole('button', { name: 'Clear filters' });
    await userEvent.click(clear);
    await waitFor(() => expect(currentSearch().toString()).toBe('sort=filename'));
    expect(screen.getByRole('searchbox', { name: 'Search' })).toHaveValue('');
    expect(screen.getByLabelText('From')).toHaveValue('');
    expect(screen.getByLabelText('Status')).toHaveValue('');
    expect(clear).toBeDisabled();
  });

  it('sorts by header buttons with aria-sort, toggling the active column', async () => {
    const calls = stubFetch({ 'GET /history': () => json(page(tasks, 3)) });
    renderAt('/history?page=2', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    const th = (name: string) => screen.getByRole('button', { name }).closest('th')!;
    expect(th('Created')).toHaveAttribute('aria-sort', 'descending');
    expect(th('Filename')).toHaveAttribute('aria-sort', 'none');
    expect(th('Pages')).toHaveAttribute('aria-sort', 'none');

    await userEvent.click(screen.getByRole('button', { name: 'Filename' }));
    await waitFor(() => expect(th('Filename')).toHaveAttribute('aria-sort', 'ascending'));
    expect(th('Created')).toHaveAttribute('aria-sort', 'none');
    expect(currentSearch().toString()).toBe('sort=filename&order=asc');

    await userEvent.click(screen.getByRole('button', { name: 'Filename' }));
    await waitFor(() => expect(th('Filename')).toHaveAttribute('aria-sort', 'descending'));
    expect(currentSearch().toString()).toBe('sort=filename');

    await userEvent.click(screen.getByRole('button', { name: 'Created' }));
    // created_at descending is the default, so the URL is clean again.
    await waitFor(() => expect(currentSearch().toString()).toBe(''));
    expect(th('Created')).toHaveAttribute('aria-sort', 'descending');
    await waitFor(() => expect(historyCalls(calls).at(-1)?.query.get('sort')).toBe('created_at'));
  });

  it('pages forward and back and changes the page size', async () => {
    const calls = stubFetch({ 'GET /history': (c) => json(page(tasks, 45, Number(c.query.get('page')))) });
    renderAt('/history', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    expect(screen.getByText('Page 1 of 3')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeDisabled();

    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(screen.getByText('Page 2 of 3')).toBeInTheDocument());
    expect(currentSearch().get('page')).toBe('2');
    await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(screen.getByText('Page 3 of 3')).toBeInTheDocument());
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
    await userEvent.click(screen.getByRole('button', { name: 'Previous page' }));
    await waitFor(() => expect(currentSearch().get('page')).toBe('2'));

    const size = screen.getByRole('combobox', { name: 'Rows per page' });
    expect(Array.from((size as HTMLSelectElement).options).map((o) => o.value)).toEqual(['10', '20', '50', '100']);
    await userEvent.selectOptions(size, '50');
    await waitFor(() => expect(screen.getByText('Page 1 of 1')).toBeInTheDocument());
    expect(currentSearch().toString()).toBe('page_size=50');
    expect(historyCalls(calls).at(-1)?.query.get('page_size')).toBe('50');
  });

  it('opens details from a row and closes them by removing ?task', async () => {
    stubFetch({
      'GET /history': () => json(page(tasks, 3)),
      'GET /tasks/:id': (c) => json(tasks.find((t) => `/tasks/${t.id}` === c.path)),
    });
    renderAt('/history?status=failed', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    await userEvent.click(screen.getByRole('button', { name: 'gamma.tif' }));
    expect(await screen.findByRole('dialog', { name: 'gamma.tif' })).toBeInTheDocument();
    expect(currentSearch().toString()).toBe('status=failed&task=c');
    await userEvent.click(screen.getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(currentSearch().toString()).toBe('status=failed');

    // A click elsewhere on the row opens it too.
    await userEvent.click(screen.getAllByTestId('task-row')[0].querySelector('time')!);
    expect(await screen.findByRole('dialog', { name: 'alpha.png' })).toBeInTheDocument();
  });
});

describe('TaskHistory empty and error states', () => {
  it('invites a new user to upload', async () => {
    stubFetch({ 'GET /history': () => json(page([], 0)) });
    renderAt('/history', <TaskHistory />);
    const link = await screen.findByRole('link', { name: 'upload files' });
    expect(link).toHaveAttribute('href', '/');
    expect(screen.getByText(/No tasks yet/)).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.getByText('0 tasks')).toBeInTheDocument();
  });

  it('offers to clear filters when nothing matches', async () => {
    stubFetch({ 'GET /history': (c) => json(c.query.get('q') ? page([], 0) : page(tasks, 3)) });
    renderAt('/history?q=nothing', <TaskHistory />);
    expect(await screen.findByText('No tasks match these filters.')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Show all tasks' }));
    expect(await screen.findAllByTestId('task-row')).toHaveLength(3);
    expect(currentSearch().toString()).toBe('');
  });

  it('explains a rebuilding index and retries', async () => {
    let n = 0;
    stubFetch({
      'GET /history': () => (++n <= 3 ? apiError(503, 'index_rebuilding', 'index is rebuilding') : json(page(tasks, 3))),
    });
    renderAt('/history', <TaskHistory />);
    const alert = await screen.findByText('Search is being rebuilt; try again in a moment.');
    expect(alert.closest('[role="alert"]')).not.toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findAllByTestId('task-row')).toHaveLength(3);
    expect(screen.queryByText('Search is being rebuilt; try again in a moment.')).not.toBeInTheDocument();
  });

  it('says when history is turned off', async () => {
    stubFetch({ 'GET /history': () => apiError(404, 'feature_disabled', 'history is disabled') });
    renderAt('/history', <TaskHistory />);
    expect(await screen.findByText('Task history is turned off on this server.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Export CSV' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();
  });

  it('shows a 422 message near the filters', async () => {
    stubFetch({ 'GET /history': () => apiError(422, 'invalid_parameter', 'q must be UTF-8 text of at most 1024 bytes') });
    renderAt('/history?q=x', <TaskHistory />);
    const msg = await screen.findByText('q must be UTF-8 text of at most 1024 bytes');
    expect(msg).toHaveAttribute('role', 'alert');
    expect(screen.getByRole('region', { name: 'Filters' })).toContainElement(msg);
  });

  it('shows other failures with Retry', async () => {
    let fail = true;
    stubFetch({ 'GET /history': () => (fail ? apiError(500, 'internal', 'database is locked') : json(page(tasks, 3))) });
    renderAt('/history', <TaskHistory />);
    expect(await screen.findByText('database is locked')).toBeInTheDocument();
    fail = false;
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findAllByTestId('task-row')).toHaveLength(3);
  });
});

describe('TaskHistory live', () => {
  let release: () => void = () => {};
  beforeEach(() => {
    installFakes();
    release = connectTaskEvents();
  });
  afterEach(async () => {
    release();
    await act(() => new Promise((r) => setTimeout(r, 0)));
  });

  it('updates rows from the event stream and reloads when tasks come and go', async () => {
    const calls = stubFetch({ 'GET /history': () => json(page(tasks, 3)) });
    renderAt('/history', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    const lists = () => historyCalls(calls).length;
    expect(lists()).toBe(1);
    const es = FakeEventSource.user()!;
    expect(FakeEventSource.all).toHaveLength(1);

    // Progress of a row: shown at once, no reload.
    es.emit('task', { ...tasks[1], pages_done: 7 });
    expect(screen.getAllByTestId('task-row')[1]).toHaveTextContent('7/10');
    // Progress, or a new place in line, of a known task on another page
    // (the running ones are in the store): no reload either.
    act(() => useTaskStore.getState().upsert(makeTask({ id: 'elsewhere', status: 'pending', started_at: null })));
    es.emit('task', makeTask({ id: 'elsewhere', status: 'pending', started_at: null, queue_position: 4 }));
    es.emit('task', makeTask({ id: 'elsewhere', status: 'processing', pages_done: 1, started_at: '2024-05-01T10:00:01Z' }));
    await new Promise((r) => setTimeout(r, RELOAD_WAIT_MS + 100));
    expect(lists()).toBe(1);

    // A burst of new tasks: one reload, after it.
    for (const id of ['n1', 'n2', 'n3']) es.emit('task', makeTask({ id, status: 'pending', pages_done: 0, started_at: null }));
    expect(lists()).toBe(1);
    await waitFor(() => expect(lists()).toBe(2), { timeout: RELOAD_WAIT_MS + 1000 });

    // One of the rows deleted (in another tab): reload.
    es.emit('deleted', { id: 'c' });
    await waitFor(() => expect(lists()).toBe(3), { timeout: RELOAD_WAIT_MS + 1000 });

    // The stream restarted without a replay: reload at once.
    es.emit('reset', { reason: 'resume_unavailable' });
    await waitFor(() => expect(lists()).toBe(4));
    expect(FakeEventSource.all).toHaveLength(1);
  });
});
