// The way into the viewer: "View result" in the task details, carrying the
// history search so the viewer lands on its hits.
import { screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Task } from '../api/types';
import { TaskHistory } from '../history/TaskHistory';
import { apiError, json, makeTask, page, renderAt, stubFetch } from '../history/testUtils';
import { useTaskStore } from '../stores/taskStore';

function serve(task: Task) {
  stubFetch({
    'GET /history': () => json(page([task])),
    'GET /tasks/:id': (c) => (c.path === `/tasks/${task.id}` ? json(task) : apiError(404, 'not_found', 'no such task')),
  });
}

beforeEach(() => useTaskStore.getState().reset());
afterEach(() => vi.unstubAllGlobals());

describe('View result', () => {
  it('opens the viewer from the details, with the history search', async () => {
    serve(makeTask({ id: 'd1', filename: 'invoice.pdf' }));
    renderAt('/history?q=%20invoice%20&task=d1', <TaskHistory />);
    const dialog = await screen.findByRole('dialog', { name: 'invoice.pdf' });
    const link = within(dialog).getByRole('link', { name: 'View result' });
    expect(link).toHaveAttribute('href', '/tasks/d1?q=invoice');
    expect(link).toHaveClass('btn-primary');
  });

  it('without a search, the link is the task alone', async () => {
    serve(makeTask({ id: 'd1', filename: 'scan.tif', status: 'failed', retryable: true }));
    renderAt('/history?task=d1', <TaskHistory />);
    const dialog = await screen.findByRole('dialog', { name: 'scan.tif' });
    expect(within(dialog).getByRole('link', { name: 'View result' })).toHaveAttribute('href', '/tasks/d1');
  });

  it('is not offered for a task whose pages are not counted yet', async () => {
    serve(makeTask({ id: 'd1', filename: 'queued.pdf', status: 'pending', pages_total: 0, pages_done: 0 }));
    renderAt('/history?task=d1', <TaskHistory />);
    const dialog = await screen.findByRole('dialog', { name: 'queued.pdf' });
    expect(within(dialog).queryByRole('link', { name: 'View result' })).toBeNull();
  });
});
