import { memo, type MouseEvent } from 'react';
import { isRunning, type SortField, type SortOrder, type Task } from '../api/types';
import { Skeleton } from '../components/Spinner';
import { StatusBadge } from '../components/StatusBadge';
import { formatDateTime, formatDuration } from '../components/format';

/** Column describes one table column; sort is absent where the server cannot order by it. */
interface Column {
  label: string;
  sort?: SortField;
  /** The order a first click on this column asks for. */
  firstOrder?: SortOrder;
}

// Every column sorts on the server (GET /history ?sort=…), across all pages.
const COLUMNS: Column[] = [
  { label: 'Filename', sort: 'filename', firstOrder: 'asc' },
  { label: 'Status', sort: 'status', firstOrder: 'asc' },
  { label: 'Pages', sort: 'pages', firstOrder: 'desc' },
  { label: 'Created', sort: 'created_at', firstOrder: 'desc' },
  { label: 'Duration', sort: 'duration', firstOrder: 'desc' },
];

/** nextSort is the sort a click on a column header asks for. */
export function nextSort(field: SortField, cur: { sort: SortField; order: SortOrder }): { sort: SortField; order: SortOrder } {
  if (cur.sort === field) return { sort: field, order: cur.order === 'asc' ? 'desc' : 'asc' };
  return { sort: field, order: COLUMNS.find((c) => c.sort === field)?.firstOrder ?? 'asc' };
}

/** TaskListProps: the rows to show and how the table is sorted. */
export interface TaskListProps {
  rows: Task[];
  sort: SortField;
  order: SortOrder;
  /** loading with no rows yet: skeleton rows stand in. */
  loading: boolean;
  /** stale: a new page is loading; the old rows stay, dimmed. */
  stale: boolean;
  /** skeletonRows is how many placeholder rows to draw. */
  skeletonRows?: number;
  onSort(sort: SortField, order: SortOrder): void;
  onOpen(id: string): void;
}

/**
 * TaskList is the history table. On narrow screens history.css lays the same
 * rows out as stacked cards, each cell labelled by its data-label.
 */
export function TaskList({ rows, sort, order, loading, stale, skeletonRows = 5, onSort, onOpen }: TaskListProps) {
  const showSkeleton = loading && rows.length === 0;
  return (
    <table className={`history-table${stale ? ' is-stale' : ''}`} aria-busy={loading || undefined}>
      <caption className="visually-hidden">Your tasks</caption>
      <thead>
        <tr>
          {COLUMNS.map((c) => {
            if (!c.sort) {
              return (
                <th key={c.label} scope="col" className="history-col-plain">
                  {c.label}
                </th>
              );
            }
            const active = c.sort === sort;
            const ariaSort = active ? (order === 'asc' ? 'ascending' : 'descending') : 'none';
            const field = c.sort;
            return (
              <th key={c.label} scope="col" aria-sort={ariaSort}>
                <button
                  type="button"
                  className={`history-sort${active ? ' is-active' : ''}`}
                  onClick={() => {
                    const n = nextSort(field, { sort, order });
                    onSort(n.sort, n.order);
                  }}
                >
                  {c.label}
                  <span className="history-sort-icon" aria-hidden="true">
                    {active ? (order === 'asc' ? '▲' : '▼') : '↕'}
                  </span>
                </button>
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {showSkeleton
          ? Array.from({ length: skeletonRows }, (_, i) => (
              <tr key={`skeleton-${i}`} className="history-skeleton-row" aria-hidden="true">
                <td data-label="Filename">
                  <Skeleton width="70%" />
                </td>
                <td data-label="Status">
                  <Skeleton width="5em" />
                </td>
                <td data-label="Pages">
                  <Skeleton width="2em" />
                </td>
                <td data-label="Created">
                  <Skeleton width="9em" />
                </td>
                <td data-label="Duration">
                  <Skeleton width="4em" />
                </td>
              </tr>
            ))
          : rows.map((t) => <TaskRow key={t.id} task={t} onOpen={onOpen} />)}
      </tbody>
    </table>
  );
}

/**
 * TaskRow is one task; a click anywhere on it opens the details, the
 * filename button is the keyboard path. Memoised: an event about one task
 * re-renders its row, not the whole page of them.
 */
const TaskRow = memo(function TaskRow({ task: t, onOpen }: { task: Task; onOpen(id: string): void }) {
  const running = isRunning(t.status);
  const open = (e: MouseEvent) => {
    // Selecting text in a row should not open it.
    if (window.getSelection()?.toString()) return;
    e.stopPropagation();
    onOpen(t.id);
  };
  return (
    <tr data-testid="task-row" data-task-id={t.id} data-status={t.status} className="history-row" onClick={open}>
      <td data-label="Filename" className="history-filename-cell">
        <button type="button" className="btn-link filename-button" onClick={open} title={t.filename}>
          {t.filename}
        </button>
      </td>
      <td data-label="Status">
        <span className="history-status">
          <StatusBadge status={t.status} />
          {running && t.pages_total > 0 && (
            <span className="muted history-progress">
              {t.pages_done}/{t.pages_total}
              <span className="visually-hidden"> pages done</span>
            </span>
          )}
        </span>
      </td>
      <td data-label="Pages" className="history-num">
        {t.pages_total > 0 ? t.pages_total : '—'}
      </td>
      <td data-label="Created">
        <time dateTime={t.created_at}>{formatDateTime(t.created_at)}</time>
      </td>
      <td data-label="Duration" className="history-num">
        {running ? '—' : formatDuration(t.duration_ms)}
      </td>
    </tr>
  );
});
