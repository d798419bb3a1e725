import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { TaskHistory } from './TaskHistory';
import { apiError, json, makeTask, page, renderAt, stubFetch } from './testUtils';

// jsdom has no object URLs and does not download: record what would be saved.
const saved: { href: string; download: string }[] = [];
const created: Blob[] = [];
const revoked: string[] = [];

beforeEach(() => {
  saved.length = 0;
  created.length = 0;
  revoked.length = 0;
  vi.useFakeTimers({ shouldAdvanceTime: true });
  Object.assign(URL, {
    createObjectURL: vi.fn((b: Blob) => {
      created.push(b);
      return `blob:test/${created.length}`;
    }),
    revokeObjectURL: vi.fn((u: string) => revoked.push(u)),
  });
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    saved.push({ href: this.href, download: this.download });
  });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('ExportButtons', () => {
  it('exports the current filters, days as the viewer’s, and saves the file under the server’s name', async () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati';
    onTestFinished(() => {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    });
    let release: (r: Response) => void = () => {};
    const calls = stubFetch({
      'GET /history': () => json(page([makeTask()], 1)),
      'POST /history/export': () => new Promise<Response>((r) => (release = r)),
    });
    renderAt('/history?status=failed&q=abc&from=2024-01-01&page=2&sort=filename', <TaskHistory />);
    await screen.findAllByTestId('task-row');

    const csv = screen.getByRole('button', { name: 'Export CSV' });
    await userEvent.click(csv);
    // Busy: both buttons wait for this export.
    await waitFor(() => expect(csv).toBeDisabled());
    expect(screen.getByRole('button', { name: 'Export JSON' })).toBeDisabled();
    expect(screen.getByText('Preparing the CSV export…').closest('[role="status"]')).not.toBeNull();

    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.path).toBe('/history/export');
    // Filters only: paging and sorting do not narrow an export. The day is
    // the viewer's (UTC+14 here), as in the table.
    expect(post.body).toEqual({ format: 'csv', from: '2024-01-01', tz: '+14:00', status: 'failed', q: 'abc' });
    const get = calls.find((c) => c.method === 'GET' && c.path === '/history')!;
    expect(get.query.get('from')).toBe('2024-01-01');
    expect(get.query.get('tz')).toBe('+14:00');

    await act(async () =>
      release(
        new Response('id,filename\nt1,scan.pdf\n', {
          headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="ocrbox-history-2024-05-01.csv"' },
        }),
      ),
    );
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0]).toEqual({ href: 'blob:test/1', download: 'ocrbox-history-2024-05-01.csv' });
    expect(await created[0].text()).toBe('id,filename\nt1,scan.pdf\n');
    expect(document.querySelector('a[download]')).toBeNull();
    await waitFor(() => expect(csv).toBeEnabled());

    await act(async () => vi.advanceTimersByTime(1500));
    expect(revoked).toEqual(['blob:test/1']);
  });

  it('shows why an export failed', async () => {
    stubFetch({
      'GET /history': () => json(page([makeTask()], 1)),
      'POST /history/export': () => apiError(503, 'index_rebuilding', 'the search index is being rebuilt'),
    });
    renderAt('/history', <TaskHistory />);
    await screen.findAllByTestId('task-row');
    await userEvent.click(screen.getByRole('button', { name: 'Export JSON' }));
    expect(await screen.findByText('Export failed: the search index is being rebuilt')).toHaveAttribute('role', 'alert');
    expect(saved).toHaveLength(0);
    expect(screen.getByRole('button', { name: 'Export JSON' })).toBeEnabled();
  });
});
