import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { taskService } from '../api/taskService';
import { isRunning, type Page, type SortField, type SortOrder, type Task } from '../api/types';
import { ErrorBanner } from '../components/ErrorBanner';
import { useTaskStore } from '../stores/taskStore';
import { useTaskEvents } from '../upload/useTaskEvents';
import { ExportButtons } from './ExportButtons';
import { Pagination, pageCount } from './Pagination';
import { TaskDetails } from './TaskDetails';
import { dateRangeError, TaskFilters } from './TaskFilters';
import { TaskList } from './TaskList';
import { hasFilters, useHistoryQuery } from './useHistoryQuery';
import './history.css';

interface ListState {
  data?: Page<Task>;
  loading: boolean;
  error?: unknown;
}

/** isCode reports whether e is the API error with this status and code. */
function isCode(e: unknown, status: number, code: string): boolean {
  return e instanceof ApiError && e.status === status && e.code === code;
}

/**
 * TaskHistory is the /history page: the user's tasks, filtered, sorted and
 * paged through the URL, with live rows for running tasks, export, and a
 * details dialog opened by ?task=ID.
 */
export function TaskHistory() {
  const { query, update, clearFilters, taskId, openTask, closeTask } = useHistoryQuery();
  const [state, setState] = useState<ListState>({ loading: true });
  const [reloads, setReloads] = useState(0);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  // The filters already explain an inverted range; the server would only answer 422.
  const rangeInvalid = !!dateRangeError(query.from ?? '', query.to ?? '');

  useEffect(() => {
    if (rangeInvalid) {
      setState((s) => ({ ...s, loading: false, error: undefined }));
      return;
    }
    const ac = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined }));
    taskService
      .history(query, ac.signal)
      .then((data) => {
        // What the server just said is newer than what the store remembers;
        // running rows join the store so their event streams can update them.
        const store = useTaskStore.getState();
        for (const t of data.items) if (isRunning(t.status) || store.byId[t.id]) store.upsert(t);
        setState({ data, loading: false });
      })
      .catch((e) => {
        if (!ac.signal.aborted) setState((s) => ({ ...s, loading: false, error: e }));
      });
    return () => ac.abort();
  }, [query, reloads, rangeInvalid]);

  const { data, loading, error } = state;

  // A page past the end (after deletions, or from an old link): go to the last one.
  useEffect(() => {
    if (data && !loading && data.items.length === 0 && data.total > 0 && query.page > 1) {
      update({ page: pageCount(data.total, query.page_size) });
    }
  }, [data, loading, query.page, query.page_size, update]);

  const byId = useTaskStore((s) => s.byId);
  const rows = useMemo(() => (data?.items ?? []).map((t) => byId[t.id] ?? t), [data, byId]);
  const runningKey = rows
    .filter((t) => isRunning(t.status))
    .map((t) => t.id)
    .join(',');
  const runningIds = useMemo(() => (runningKey ? runningKey.split(',') : []), [runningKey]);
  useTaskEvents(runningIds);

  const onSort = useCallback((sort: SortField, order: SortOrder) => update({ sort, order }), [update]);
  const onDeleted = useCallback(() => {
    closeTask();
    reload();
  }, [closeTask, reload]);

  const disabled = isCode(error, 404, 'feature_disabled');
  const filtered = hasFilters(query);
  const serverError = error instanceof ApiError && error.status === 422 ? error.message : undefined;

  let banner: ReactNode = null;
  if (error !== undefined && !serverError) {
    if (isCode(error, 503, 'index_rebuilding')) {
      banner = (
        <div className="banner banner-warn" role="alert">
          <span>Search is being rebuilt; try again in a moment.</span>
          <button type="button" className="btn btn-small" onClick={reload}>
            Retry
          </button>
        </div>
      );
    } else if (!disabled) {
      banner = <ErrorBanner title="Could not load your tasks." error={error} onRetry={reload} />;
    }
  }

  return (
    <main className="page history-page">
      <div className="history-head">
        <h1>Task history</h1>
        {!disabled && <ExportButtons query={query} disabled={rangeInvalid} />}
      </div>

      {disabled ? (
        <div className="banner banner-info" role="alert">
          <span>Task history is turned off on this server.</span>
        </div>
      ) : (
        <>
          <TaskFilters query={query} update={update} clearFilters={clearFilters} total={data?.total} serverError={serverError} />
          {banner}
          <div className="card history-results">
            {data && data.total === 0 && !loading ? (
              <EmptyState filtered={filtered} onClear={clearFilters} />
            ) : !data && !loading ? null : (
              <TaskList
                rows={rows}
                sort={query.sort}
                order={query.order}
                loading={loading}
                stale={loading && !!data}
                skeletonRows={Math.min(query.page_size, 8)}
                onSort={onSort}
                onOpen={openTask}
              />
            )}
          </div>
          {data && data.total > 0 && (
            <Pagination
              page={query.page}
              pageSize={query.page_size}
              total={data.total}
              onPage={(page) => update({ page })}
              onPageSize={(page_size) => update({ page_size })}
            />
          )}
        </>
      )}

      {taskId && <TaskDetails key={taskId} id={taskId} onClose={closeTask} onChanged={reload} onDeleted={onDeleted} />}
    </main>
  );
}

/** EmptyState tells a new user where to start, or a filtering one how to widen the search. */
function EmptyState({ filtered, onClear }: { filtered: boolean; onClear(): void }) {
  if (filtered) {
    return (
      <div className="history-empty">
        <p>No tasks match these filters.</p>
        {/* Not "Clear filters": that name belongs to the filter bar's button. */}
        <button type="button" className="btn" onClick={onClear}>
          Show all tasks
        </button>
      </div>
    );
  }
  return (
    <div className="history-empty">
      <p>
        No tasks yet — <Link to="/">upload files</Link>.
      </p>
    </div>
  );
}
