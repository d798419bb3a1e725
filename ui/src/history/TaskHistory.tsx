import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { taskService } from '../api/taskService';
import { useFetch } from '../api/useFetch';
import { isRunning, type SortField, type SortOrder, type Task } from '../api/types';
import { describeError, ErrorBanner } from '../components/ErrorBanner';
import { useDocumentTitle } from '../shell/documentTitle';
import { useResync, useTaskEvent, type TaskEvent } from '../stores/taskEvents';
import { eventClock, useTaskStore } from '../stores/taskStore';
import { BulkActions, type BulkAction } from './BulkActions';
import { ExportButtons } from './ExportButtons';
import { Pagination, pageCount } from './Pagination';
import { TaskDetails } from './TaskDetails';
import { dateRangeError, TaskFilters } from './TaskFilters';
import { TaskList } from './TaskList';
import { withLocalDays } from './localDays';
import { hasFilters, queryKey, useHistoryQuery } from './useHistoryQuery';
import './history.css';

/** RELOAD_WAIT_MS: the list reloads this long after the last new or deleted task of a burst… */
export const RELOAD_WAIT_MS = 1000;
/** …but no later than this after the first. */
const RELOAD_MAX_WAIT_MS = 5000;

/**
 * useReloadOnEvents reloads the list, once per burst, when a task event
 * can change which rows it shows: a task the app had not heard of, or one
 * of its rows deleted. Rows already shown update from the store by themselves.
 */
function useReloadOnEvents(items: Task[] | undefined, reload: () => void) {
  const shown = useMemo(() => new Set((items ?? []).map((t) => t.id)), [items]);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const first = useRef(0);
  useEffect(() => () => clearTimeout(timer.current), []);
  useTaskEvent((e: TaskEvent) => {
    // Not every change of a task elsewhere: places in line move all the
    // queued tasks at once, and those are known (the store has them).
    const changesRows = e.type === 'deleted' ? shown.has(e.id) : e.isNew && !shown.has(e.task.id);
    if (!changesRows) return;
    const now = Date.now();
    if (timer.current === undefined) first.current = now;
    clearTimeout(timer.current);
    timer.current = setTimeout(
      () => {
        timer.current = undefined;
        reload();
      },
      Math.max(0, Math.min(RELOAD_WAIT_MS, first.current + RELOAD_MAX_WAIT_MS - now)),
    );
  });
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
  useDocumentTitle('History');
  const { query, update, clearFilters, taskId, openTask, closeTask } = useHistoryQuery();
  // The filters already explain an inverted range; the server would only answer 422.
  const rangeInvalid = !!dateRangeError(query.from ?? '', query.to ?? '');
  const { data, loading, error, reload } = useFetch(rangeInvalid ? null : queryKey(query), async (signal) => {
    const since = eventClock();
    // Dates are the viewer's days (localDays.ts), as the table shows times.
    const data = await taskService.history(withLocalDays(query), signal);
    // Running rows join the store, which the event stream keeps current;
    // a task the stream changed meanwhile keeps the stream's state.
    const store = useTaskStore.getState();
    for (const t of data.items) if (isRunning(t.status) || store.byId[t.id]) store.upsert(t, { since });
    return data;
  });

  // A page past the end (after deletions, or from an old link): go to the last one.
  useEffect(() => {
    if (data && !loading && data.items.length === 0 && data.total > 0 && query.page > 1) {
      update({ page: pageCount(data.total, query.page_size) });
    }
  }, [data, loading, query.page, query.page_size, update]);

  const byId = useTaskStore((s) => s.byId);
  const rows = useMemo(() => (data?.items ?? []).map((t) => byId[t.id] ?? t), [data, byId]);
  // Live: rows from the store, the list again when the stream asks or when
  // tasks come and go.
  useResync(reload);
  useReloadOnEvents(data?.items, reload);

  const onSort = useCallback((sort: SortField, order: SortOrder) => update({ sort, order }), [update]);
  // Stable, so that the (memoised) rows do not all re-render when the URL changes.
  const openRef = useRef(openTask);
  useLayoutEffect(() => {
    openRef.current = openTask;
  });
  const onOpen = useCallback((id: string) => openRef.current(id), []);
  const onDeleted = useCallback(() => {
    closeTask();
    reload();
  }, [closeTask, reload]);

  // Ticked rows, for the bulk actions: of the page shown, so a new query starts with none.
  const key = queryKey(query);
  const [selection, setSelection] = useState<{ key: string; ids: ReadonlySet<string> }>({ key, ids: new Set() });
  if (selection.key !== key) setSelection({ key, ids: new Set() });
  const selected = useMemo(() => rows.filter((t) => selection.ids.has(t.id)), [rows, selection.ids]);
  const onSelect = useCallback(
    (id: string, on: boolean) =>
      setSelection((s) => {
        const ids = new Set(s.ids);
        if (on) ids.add(id);
        else ids.delete(id);
        return { ...s, ids };
      }),
    [],
  );
  const onSelectAll = useCallback((on: boolean) => setSelection((s) => ({ ...s, ids: new Set(on ? rows.map((t) => t.id) : []) })), [rows]);
  const clearSelection = useCallback(() => setSelection((s) => ({ ...s, ids: new Set() })), []);

  // Retry from a row: the row follows the store; errors show above the table.
  const [retrying, setRetrying] = useState<ReadonlySet<string>>(new Set());
  const [rowError, setRowError] = useState<string>();
  const retryOne = useCallback(
    async (id: string) => {
      setRetrying((r) => new Set(r).add(id));
      setRowError(undefined);
      try {
        const since = eventClock();
        useTaskStore.getState().upsert(await taskService.retry(id), { since });
        reload();
      } catch (e) {
        setRowError(describeError(e));
      } finally {
        setRetrying((r) => {
          const n = new Set(r);
          n.delete(id);
          return n;
        });
      }
    },
    [reload],
  );
  const onRetry = useCallback((id: string) => void retryOne(id), [retryOne]);
  const runBulk = useCallback(async (action: BulkAction, t: Task) => {
    if (action === 'delete') {
      await taskService.remove(t.id);
      useTaskStore.getState().remove(t.id);
    } else {
      const since = eventClock();
      useTaskStore.getState().upsert(await taskService.retry(t.id), { since });
    }
  }, []);
  const afterBulk = useCallback(
    (done?: Task[]) => {
      clearSelection();
      if (done?.length) reload();
    },
    [clearSelection, reload],
  );

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
    <main id="main" className="page history-page">
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
          {rowError && (
            <div className="banner banner-error" role="alert">
              <span>Retry failed: {rowError}</span>
              <button type="button" className="btn btn-small" onClick={() => setRowError(undefined)}>
                Dismiss
              </button>
            </div>
          )}
          <BulkActions selected={selected} run={runBulk} onClear={afterBulk} />
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
                onOpen={onOpen}
                selected={selection.ids}
                onSelect={onSelect}
                onSelectAll={onSelectAll}
                onRetry={onRetry}
                retrying={retrying}
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
