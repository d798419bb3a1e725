import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { apiError, json, makeTask, stubFetch } from '../history/testUtils';
import { connectTaskEvents } from '../stores/taskEvents';
import { FakeEventSource, installFakes } from '../upload/testFakes';
import { chartSummary, niceMax } from './DayChart';
import StatsPage, { REFRESH_WAIT_MS } from './StatsPage';

function days(counts: number[], last = '2026-12-04'): { date: string; count: number }[] {
  const end = new Date(`${last}T12:00:00Z`);
  return counts.map((count, i) => {
    const d = new Date(end);
    d.setUTCDate(d.getUTCDate() - (counts.length - 1 - i));
    return { date: d.toISOString().slice(0, 10), count };
  });
}

const stats = {
  total: 42,
  by_status: { pending: 1, processing: 0, completed: 38, failed: 2, cancelled: 1 },
  pages: 120,
  bytes: 3 * 1024 * 1024,
  avg_duration_ms: 12_300,
  per_day: days([...Array(27).fill(0), 3, 0, 5]),
};

function renderPage() {
  return render(
    <MemoryRouter>
      <StatsPage />
    </MemoryRouter>,
  );
}

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('StatsPage', () => {
  it('asks in local days and shows totals, status counts and the per-day bars with a table', async () => {
    const tz = process.env.TZ;
    process.env.TZ = 'America/St_Johns';
    onTestFinished(() => {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    });
    const calls = stubFetch({ 'GET /history/stats': () => json(stats) });
    renderPage();
    expect(screen.getByRole('heading', { name: 'Statistics', level: 1 })).toBeInTheDocument();
    expect(document.title).toBe('Statistics · ocrbox');
    await screen.findByText('38');
    // St. John's: -03:30 in winter (-02:30 in summer); either way the browser's offset is sent.
    expect(calls[0].query.get('tz')).toMatch(/^-0[23]:30$/);

    expect(screen.getByText('Tasks', { selector: 'dt' }).nextSibling).toHaveTextContent('42');
    expect(screen.getByText('Average duration').nextSibling).toHaveTextContent('12.3 s');
    expect(screen.getByText('Storage used').nextSibling).toHaveTextContent('3.0 MB');
    const failed = screen.getByText('Failed').closest('li')!;
    expect(failed).toHaveTextContent('2');
    expect(within(failed).getByRole('link', { name: 'Show failed tasks' })).toHaveAttribute('href', '/history?status=failed');

    const chart = screen.getByRole('img');
    expect(chart.getAttribute('aria-label')).toMatch(/^8 tasks from .+; the busiest day was .+ with 5\.$/);
    const bars = chart.querySelectorAll('rect');
    expect(bars).toHaveLength(30);
    expect(bars[29].getAttribute('data-count')).toBe('5');
    expect(Number(bars[29].getAttribute('height'))).toBeGreaterThan(Number(bars[27].getAttribute('height')));
    expect(bars[0].getAttribute('height')).toBe('0');
    expect(bars[29].querySelector('title')?.textContent).toMatch(/: 5 tasks$/);

    await userEvent.click(screen.getByText('Show as table'));
    const rows = within(screen.getByRole('table')).getAllByRole('row');
    expect(rows).toHaveLength(31);
    expect(rows[1]).toHaveTextContent('5'); // newest first
    expect(rows[1].querySelector('time')).toHaveAttribute('dateTime', '2026-12-04');
  });

  it('reloads when a task finishes, once per burst', async () => {
    installFakes();
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let n = 0;
    stubFetch({ 'GET /history/stats': () => (n++, json(stats)) });
    const release = connectTaskEvents();
    onTestFinished(release);
    renderPage();
    await screen.findByText('38');
    expect(n).toBe(1);
    const es = FakeEventSource.user()!;
    es.emit('task', makeTask({ id: 'x', status: 'completed' }));
    es.emit('task', makeTask({ id: 'y', status: 'failed' }));
    await vi.advanceTimersByTimeAsync(REFRESH_WAIT_MS + 50);
    await waitFor(() => expect(n).toBe(2));
  });

  it('explains when history (and so statistics) is turned off', async () => {
    stubFetch({ 'GET /history/stats': () => apiError(404, 'feature_disabled', 'task history is disabled') });
    renderPage();
    expect(await screen.findByRole('alert')).toHaveTextContent('turned off on this server');
  });
});

describe('chart helpers', () => {
  it.each([
    [0, 1],
    [1, 1],
    [3, 5],
    [7, 10],
    [12, 20],
    [48, 50],
    [101, 200],
  ])('niceMax(%i) = %i', (n, want) => expect(niceMax(n)).toBe(want));

  it('summarises an empty month', () => {
    expect(chartSummary(days([0, 0, 0]))).toMatch(/^No tasks from /);
  });
});
