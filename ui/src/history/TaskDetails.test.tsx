import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Task, TaskFile } from '../api/types';
import { connectTaskEvents } from '../stores/taskEvents';
import { useTaskStore } from '../stores/taskStore';
import { FakeEventSource, installFakes } from '../upload/testFakes';
import { TaskHistory } from './TaskHistory';
import { apiError, currentSearch, json, makeTask, page, renderAt, stubFetch, type Call } from './testUtils';

function file(id: string, kind: TaskFile['kind'], name: string, size: number): TaskFile {
  return { id, kind, name, size, content_type: 'application/octet-stream', created_at: '2024-05-01T10:00:05Z' };
}

const done = makeTask({
  id: 'd1',
  filename: 'letter.png',
  engine: 'tesseract',
  lang: 'deu',
  attempts: 2,
  input_bytes: 3 * 1024 * 1024,
  files: [
    file('f-pdf', 'pdf', 'letter.pdf', 5000),
    file('f-in', 'input', 'letter.png', 3 * 1024 * 1024),
    file('f-txt', 'txt', 'letter.txt', 12),
    file('f-hocr', 'hocr', 'letter.hocr', 900),
    file('f-json', 'json', 'letter.json', 700),
  ],
});
const failed = makeTask({ id: 'x1', filename: 'broken.tif', status: 'failed', error: 'tesseract exited with status 1', retryable: true, files: [file('fi', 'input', 'broken.tif', 10)] });
const running = makeTask({ id: 'r1', filename: 'big.pdf', status: 'processing', pages_total: 40, pages_done: 12, completed_at: null, duration_ms: 0 });

/** serve answers /history (empty: the dialog must not need the list) and the given tasks. */
function serve(list: Task[], extra: Record<string, (c: Call) => Response | undefined> = {}) {
  const byId = new Map(list.map((t) => [t.id, t]));
  return stubFetch({
    'GET /history': () => json(page([], 0)),
    'GET /tasks/:id/files/:fid': () => new Response('Sehr geehrte Damen und Herren', { headers: { 'Content-Type': 'text/plain' } }),
    'GET /tasks/:id': (c) => {
      const t = byId.get(c.path.split('/')[2]);
      return t ? json(t) : apiError(404, 'not_found', 'task not found');
    },
    ...extra,
  });
}

beforeEach(() => {
  useTaskStore.getState().reset();
});
afterEach(() => vi.unstubAllGlobals());

describe('TaskDetails', () => {
  it('names the tab after the open task, and says when a failed or cancelled task ended (not "Completed")', async () => {
    const cancelled = makeTask({ id: 'c1', filename: 'stopped.pdf', status: 'cancelled', completed_at: '2024-05-01T10:00:09Z' });
    serve([failed, cancelled]);
    renderAt('/history?task=x1', <TaskHistory />);
    const dialog = await screen.findByRole('dialog', { name: 'broken.tif' });
    await waitFor(() => expect(document.title).toBe('broken.tif · ocrbox'));
    expect(within(dialog).getByText('Failed', { selector: 'dt' }).nextElementSibling?.querySelector('time')).not.toBeNull();
    expect(within(dialog).queryByText('Completed', { selector: 'dt' })).toBeNull();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(document.title).toBe('History · ocrbox'));

    renderAt('/history?task=c1', <TaskHistory />);
    const second = await screen.findByRole('dialog', { name: 'stopped.pdf' });
    expect(within(second).getByText('Cancelled', { selector: 'dt' })).toBeInTheDocument();
  }, 15_000); // two dialogs: slow on a loaded machine

  it('wraps a long filename in the delete confirmation instead of overflowing', async () => {
    const long = makeTask({ id: 'l1', filename: `scan-${'x'.repeat(120)}.pdf` });
    serve([long]);
    renderAt('/history?task=l1', <TaskHistory />);
    const dialog = await screen.findByRole('dialog', { name: long.filename });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    const confirm = screen.getByRole('dialog', { name: 'Delete this task?' });
    expect(within(confirm).getByText(long.filename)).toHaveClass('long-name');
  });

  it('shows metadata, the text preview and downloads for a task not on the page', async () => {
    const calls = serve([done]);
    renderAt('/history?task=d1', <TaskHistory />);
    const dialog = await screen.findByRole('dialog', { name: 'letter.png' });
    const d = within(dialog);
    expect(d.getByText('Completed', { selector: '.badge' })).toBeInTheDocument();
    expect(d.getByText('Languages').nextElementSibling).toHaveTextContent('German');
    expect(d.getByText('3.0 MB')).toBeInTheDocument();
    expect(d.getByText('4.0 s')).toBeInTheDocument();
    expect(d.getByText('d1')).toBeInTheDocument();
    expect(d.getByText('Attempts').nextElementSibling).toHaveTextContent('2');

    const preview = d.getByRole('region', { name: 'Text preview' });
    expect(await within(preview).findByText('Sehr geehrte Damen und Herren')).toBeInTheDocument();
    expect(calls.some((c) => c.path === '/tasks/d1/files/f-txt')).toBe(true);

    const links = d.getAllByRole('link', { name: /^Download / });
    expect(links.map((a) => a.textContent)).toEqual([
      'Download original',
      'Download text',
      'Download hOCR',
      'Download JSON',
      'Download PDF',
    ]);
    expect(links[1]).toHaveAttribute('href', '/api/v1/tasks/d1/files/f-txt');
    expect(links[1]).toHaveAttribute('download', 'letter.txt');
    expect(d.getByText('letter.pdf · 4.9 KB')).toBeInTheDocument();

    // A completed task can be neither retried nor cancelled.
    expect(d.queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();
    expect(d.queryByRole('button', { name: 'Cancel task' })).not.toBeInTheDocument();
    expect(d.getByRole('button', { name: 'Delete' })).toBeInTheDocument();
  });

  it('shows only the first 20,000 characters of a long text', async () => {
    serve([done], { 'GET /tasks/:id/files/:fid': () => new Response('x'.repeat(25_000)) });
    renderAt('/history?task=d1', <TaskHistory />);
    const preview = await screen.findByRole('region', { name: 'Text preview' });
    const pre = await waitFor(() => {
      const el = preview.querySelector('pre');
      expect(el).not.toBeNull();
      return el!;
    });
    expect(pre.textContent).toHaveLength(20_000);
    expect(within(preview).getByText(/Showing the first 20,000 of 25,000 characters/)).toBeInTheDocument();
  });

  it('shows a failed task’s error and offers Retry, which refreshes task and list', async () => {
    let status: Task['status'] = 'failed';
    const calls = serve([], {
      'GET /tasks/x1': () => json({ ...failed, status, retryable: status === 'failed' }),
      'POST /tasks/x1/retry': () => {
        status = 'pending';
        return json({ ...failed, status, retryable: false }, 202);
      },
    });
    renderAt('/history?task=x1', <TaskHistory />);
    const dialog = await screen.findByRole('dialog', { name: 'broken.tif' });
    expect(within(dialog).getByRole('alert')).toHaveTextContent('tesseract exited with status 1');
    expect(within(dialog).getByText('No text output')).toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: 'Cancel task' })).not.toBeInTheDocument();
    const lists = calls.filter((c) => c.path === '/history').length;

    await userEvent.click(within(dialog).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(within(dialog).getByText('Queued')).toBeInTheDocument());
    expect(calls.some((c) => c.method === 'POST' && c.path === '/tasks/x1/retry')).toBe(true);
    expect(within(dialog).getByRole('button', { name: 'Cancel task' })).toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();
    await waitFor(() => expect(calls.filter((c) => c.path === '/history').length).toBe(lists + 1));
    // Now pending: in the store, which the event stream keeps current.
    expect(useTaskStore.getState().byId.x1?.status).toBe('pending');
  });

  it('offers no Retry for a failure of the document itself (retryable false)', async () => {
    const corrupt = makeTask({ ...failed, id: 'p1', error: 'the TIFF is truncated', error_code: 'unreadable_input', retryable: false });
    serve([], { 'GET /tasks/p1': () => json(corrupt) });
    renderAt('/history?task=p1', <TaskHistory />);
    const dialog = await screen.findByRole('dialog', { name: 'broken.tif' });
    expect(within(dialog).getByRole('alert')).toHaveTextContent('the TIFF is truncated');
    expect(within(dialog).getByRole('alert')).toHaveTextContent('upload a corrected file');
    expect(within(dialog).queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Delete' })).toBeInTheDocument();
  });

  it('offers Cancel task for a running task and shows a refusal in the dialog', async () => {
    serve([running], { 'POST /tasks/r1/cancel': () => apiError(409, 'conflict', 'task already finished') });
    renderAt('/history?task=r1', <TaskHistory />);
    const dialog = await screen.findByRole('dialog', { name: 'big.pdf' });
    expect(within(dialog).getByText('12 / 40 pages')).toBeInTheDocument();
    expect(within(dialog).getByText('The text appears here when recognition finishes.')).toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();

    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel task' }));
    expect(await within(dialog).findByText('task already finished')).toHaveAttribute('role', 'alert');
  });

  it('follows live updates from the store while open', async () => {
    serve([running]);
    renderAt('/history?task=r1', <TaskHistory />);
    const dialog = await screen.findByRole('dialog', { name: 'big.pdf' });
    await waitFor(() => expect(useTaskStore.getState().byId.r1).toBeDefined());
    act(() => useTaskStore.getState().upsert({ ...running, pages_done: 30 }));
    expect(await within(dialog).findByText('30 / 40 pages')).toBeInTheDocument();
  });

  it('follows the event stream: progress, a refetch on reset, and a deletion elsewhere', async () => {
    installFakes();
    const release = connectTaskEvents();
    try {
      const calls = serve([running]);
      renderAt('/history?task=r1', <TaskHistory />);
      const dialog = await screen.findByRole('dialog', { name: 'big.pdf' });
      const es = FakeEventSource.user()!;
      es.emit('task', { ...running, pages_done: 31 });
      expect(await within(dialog).findByText('31 / 40 pages')).toBeInTheDocument();

      const gets = () => calls.filter((c) => c.method === 'GET' && c.path === '/tasks/r1').length;
      const before = gets();
      es.emit('reset', { reason: 'fell_behind' });
      await waitFor(() => expect(gets()).toBe(before + 1));

      es.emit('deleted', { id: 'r1' });
      await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
      expect(currentSearch().get('task')).toBeNull();
      expect(FakeEventSource.all).toHaveLength(1);
    } finally {
      release();
      await act(() => new Promise((r) => setTimeout(r, 0)));
    }
  });

  it('asks before deleting, then deletes, closes and reloads the list', async () => {
    const calls = serve([failed], { 'DELETE /tasks/x1': () => new Response(null, { status: 204 }) });
    useTaskStore.getState().upsert(failed);
    renderAt('/history?status=failed&task=x1', <TaskHistory />);
    const dialog = await screen.findByRole('dialog', { name: 'broken.tif' });

    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    let confirm = await screen.findByRole('dialog', { name: 'Delete this task?' });
    expect(confirm).toHaveTextContent('Delete broken.tif? Its results are removed for good.');
    // Escape closes only the confirmation.
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Delete this task?' })).not.toBeInTheDocument());
    expect(screen.getByRole('dialog', { name: 'broken.tif' })).toBeInTheDocument();

    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    confirm = await screen.findByRole('dialog', { name: 'Delete this task?' });
    await userEvent.click(within(confirm).getByRole('button', { name: 'Keep' }));
    expect(screen.queryByRole('dialog', { name: 'Delete this task?' })).not.toBeInTheDocument();
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);

    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    confirm = await screen.findByRole('dialog', { name: 'Delete this task?' });
    const lists = calls.filter((c) => c.path === '/history').length;
    const del = within(confirm).getByRole('button', { name: 'Delete task' });
    expect(del).toHaveClass('btn-danger', 'btn-solid');
    await userEvent.click(del);

    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/tasks/x1']);
    expect(currentSearch().toString()).toBe('status=failed');
    expect(useTaskStore.getState().byId.x1).toBeUndefined();
    await waitFor(() => expect(calls.filter((c) => c.path === '/history').length).toBe(lists + 1));
  });

  it('keeps the confirmation open with the reason when deleting fails', async () => {
    serve([failed], { 'DELETE /tasks/x1': () => apiError(409, 'conflict', 'task is being processed') });
    renderAt('/history?task=x1', <TaskHistory />);
    const dialog = await screen.findByRole('dialog', { name: 'broken.tif' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    const confirm = await screen.findByRole('dialog', { name: 'Delete this task?' });
    await userEvent.click(within(confirm).getByRole('button', { name: 'Delete task' }));
    expect(await within(confirm).findByRole('alert')).toHaveTextContent('task is being processed');
    expect(currentSearch().get('task')).toBe('x1');
  });

  it.each([
    [403, 'forbidden'],
    [404, 'not_found'],
  ])('says the task does not exist or is not yours on %i', async (status, code) => {
    serve([], { 'GET /tasks/:id': () => apiError(status, code, 'nope') });
    renderAt('/history?task=zzz', <TaskHistory />);
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByText('This task does not exist or is not yours.')).toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
  });
});
