import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { TASK_STATUSES, type Stats } from '../api/types';
import { useFetch } from '../api/useFetch';
import { ErrorBanner } from '../components/ErrorBanner';
import { Skeleton } from '../components/Spinner';
import { StatusBadge } from '../components/StatusBadge';
import { formatBytes, formatDuration } from '../components/format';
import { useDocumentTitle } from '../shell/documentTitle';
import { useResync, useTaskEvent } from '../stores/taskEvents';
import { DayChart } from './DayChart';
import { loadStats } from './statsService';
import './stats.css';

/** REFRESH_WAIT_MS: after task events, the numbers reload once the burst settles. */
export const REFRESH_WAIT_MS = 1500;

const number = new Intl.NumberFormat();

/**
 * StatsPage is /stats: how many tasks in each status, pages and storage,
 * the average duration, and tasks per day over the last 30 days in the
 * viewer's days. It follows the event stream: a new or finished task
 * reloads the numbers (once per burst).
 */
export default function StatsPage() {
  useDocumentTitle('Statistics');
  const { data, error, loading, reload } = useFetch('stats', (signal) => loadStats(signal));
  useResync(reload);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  useTaskEvent((e) => {
    // Progress within a page changes no number here; a new, finished or deleted task does.
    if (e.type === 'task' && !e.isNew && (e.task.status === 'pending' || e.task.status === 'processing')) return;
    clearTimeout(timer.current);
    timer.current = setTimeout(reload, REFRESH_WAIT_MS);
  });

  const disabled = error instanceof ApiError && error.status === 404 && error.code === 'feature_disabled';
  return (
    <main id="main" className="page stats-page">
      <h1>Statistics</h1>
      {disabled ? (
        <div className="banner banner-info" role="alert">
          <span>Statistics come from the task history, which is turned off on this server.</span>
        </div>
      ) : error !== undefined && !data ? (
        <ErrorBanner title="Could not load your statistics." error={error} onRetry={reload} />
      ) : (
        <StatsBody stats={data} loading={loading && !data} />
      )}
    </main>
  );
}

function StatsBody({ stats, loading }: { stats?: Stats; loading: boolean }) {
  const value = (f: (s: Stats) => string) => (stats ? f(stats) : <Skeleton width="4em" />);
  return (
    <div className="stats-body" aria-busy={loading || undefined}>
      <section className="card stats-totals" aria-labelledby="stats-totals-title">
        <h2 id="stats-totals-title">Totals</h2>
        <dl className="stats-grid">
          <div className="stats-tile">
            <dt>Tasks</dt>
            <dd>{value((s) => number.format(s.total))}</dd>
          </div>
          <div className="stats-tile">
            <dt>Pages recognised</dt>
            <dd>{value((s) => number.format(s.pages))}</dd>
          </div>
          <div className="stats-tile">
            <dt>Average duration</dt>
            <dd>{value((s) => formatDuration(s.avg_duration_ms))}</dd>
          </div>
          <div className="stats-tile">
            <dt>Storage used</dt>
            <dd>{value((s) => formatBytes(s.bytes))}</dd>
          </div>
        </dl>
      </section>

      <section className="card" aria-labelledby="stats-status-title">
        <h2 id="stats-status-title">By status</h2>
        <ul className="stats-status-list">
          {TASK_STATUSES.map((st) => {
            const n = stats?.by_status?.[st] ?? 0;
            return (
              <li key={st} className="stats-status">
                <StatusBadge status={st} />
                <span className="stats-status-count">{stats ? number.format(n) : <Skeleton width="2em" />}</span>
                {stats && n > 0 && (
                  <Link className="stats-status-link" to={`/history?status=${st}`}>
                    Show<span className="visually-hidden"> {st} tasks</span>
                  </Link>
                )}
              </li>
            );
          })}
        </ul>
      </section>

      <section className="card" aria-labelledby="stats-days-title">
        <h2 id="stats-days-title">Activity</h2>
        {stats ? <DayChart days={stats.per_day} /> : <Skeleton height="10rem" />}
      </section>
    </div>
  );
}
