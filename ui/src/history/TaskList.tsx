import { memo, useEffect, useRef, type MouseEvent } from 'react';
import { taskService } from '../api/taskService';
import { isRunning, type SortField, type SortOrder, type Task, type TaskFile } from '../api/types';
import { DownloadAnchor } from '../components/DownloadAnchor';
import { Skeleton } from '../components/Spinner';
import { StatusBadge } from '../components/StatusBadge';
import { formatBytes, formatDateTime, formatDuration } from '../components/format';
import { languageNames } from '../upload/languages';

/** Column describes one table column; sort is absent where the server cannot order by it. */
interface Column {
  label: string;
  sort?: SortField;
  /** The order a first click on this column asks for. */
  firstOrder?: SortOrder;
  /** wide: only on wide screens (hidden on phones, where rows are cards). */
  wide?: boolean;
}

// The sortable columns sort on the server (GET /history ?sort=…), across
// all pages; engine, languages and size have no server order.
const COLUMNS: Column[] = [
  { label: 'Filename', sort: 'filename', firstOrder: 'asc' },
  { label: 'Status', sort: 'status', firstOrder: 'asc' },
  { label: 'Engine', wide: true },
  { label: 'Languages', wide: true },
  { label: 'Size', wide: true },
  { label: 'Pages', sort: 'pages', firstOrder: 'desc' },
  { label: 'Created', sort: 'created_at', firstOrder: 'desc' },
  { label: 'Duration', sort: 'duration', firstOrder: 'desc' },
];

/** DOWNLOAD_ORDER: a row's download button offers the first of these the task has. */
const DOWNLOAD_ORDER = ['pdf', 'txt', 'json', 'hocr'] as const;
const DOWNLOAD_NAMES: Record<string, string> = { pdf: 'PDF', txt: 'text', json: 'JSON', hocr: 'hOCR' };

/** mainOutput is the file a row's Download button gets: the searchable PDF, else the text, … */
export function mainOutput(t: Task): TaskFile | undefined {
  for (const k of DOWNLOAD_ORDER) {
    const f = t.files.find((x) => x.kind === k);
    if (f) return f;
  }
  return undefined;
}

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
  /** selected are the ids ticked for a bulk action. */
  selected: ReadonlySet<string>;
  onSelect(id: string, on: boolean): void;
  /** onSelectAll ticks (or unticks) every row shown. */
  onSelectAll(on: boolean): void;
  /** onRetry retries one task from its row. */
  onRetry(id: string): void;
  /** retrying are the ids whose retry is under way. */
  retrying: ReadonlySet<string>;
}

/** SelectAll is the header's tick box: all rows, some (mixed), or none. */
function SelectAll({ count, total, onChange }: { count: number; total: number; onChange(on: boolean): void }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = count > 0 && count < total;
  }, [count, total]);
  return (
    <input
      ref={ref}
      type="checkbox"
      className="history-check"
      aria-label="Select all tasks on this page"
      checked={total > 0 && count === total}
      disabled={total === 0}
      onChange={(e) => onChange(e.target.checked)}
    />
  );
}

/**
 * TaskList is the history table: a tick box per row for bulk actions, the
 * task's columns, and its own actions (download, retry). On narrow screens
 * history.css lays the same rows out as stacked cards, each cell labelled
 * by its data-label, without the engine, languages and size.
 */
export function TaskList({
  rows,
  sort,
  order,
  loading,
  stale,
  skeletonRows = 5,
  onSort,
  onOpen,
  selected,
  onSelect,
  onSelectAll,
  onRetry,
  retrying,
}: TaskListProps) {
  const showSkeleton = loading && rows.length === 0;
  const ticked = rows.filter((t) => selected.has(t.id)).length;
  return (
    <table className={`history-table${stale ? ' is-stale' : ''}`} aria-busy={loading || undefined}>
      <caption className="visually-hidden">Your tasks</caption>
      <thead>
        <tr>
          <th scope="col" className="history-col-check">
            <SelectAll count={ticked} total={rows.length} onChange={onSelectAll} />
          </th>
          {COLUMNS.map((c) => {
            if (!c.sort) {
              return (
                <th key={c.label} scope="col" className={`history-col-plain${c.wide ? ' history-wide' : ''}`}>
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
          <th scope="col" className="history-col-plain history-col-actions">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {showSkeleton
          ? Array.from({ length: skeletonRows }, (_, i) => (
              <tr key={`skeleton-${i}`} className="history-skeleton-row" aria-hidden="true">
                <td className="history-col-check" />
                <td data-label="Filename">
                  <Skeleton width="70%" />
                </td>
                <td data-label="Status">
                  <Skeleton width="5em" />
                </td>
                <td className="history-wide" />
                <td className="history-wide" />
                <td className="history-wide" />
                <td data-label="Pages">
                  <Skeleton width="2em" />
                </td>
                <td data-label="Created">
                  <Skeleton width="9em" />
                </td>
                <td data-label="Duration">
                  <Skeleton width="4em" />
                </td>
                <td />
              </tr>
            ))
          : rows.map((t) => (
              <TaskRow
                key={t.id}
                task={t}
                onOpen={onOpen}
                selected={selected.has(t.id)}
                onSelect={onSelect}
                onRetry={onRetry}
                retrying={retrying.has(t.id)}
              />
            ))}
      </tbody>
    </table>
  );
}

/** TaskRowProps: the task, whether it is ticked, and what its row can do. */
interface TaskRowProps {
  task: Task;
  onOpen(id: string): void;
  selected: boolean;
  onSelect(id: string, on: boolean): void;
  onRetry(id: string): void;
  retrying: boolean;
}

/** stop keeps a click on a control from opening the row's details too. */
const stop = (e: MouseEvent) => e.stopPropagation();

/**
 * TaskRow is one task; a click anywhere on it opens the details, the
 * filename button is the keyboard path. Memoised: an event about one task
 * re-renders its row, not the whole page of them.
 */
const TaskRow = memo(function TaskRow({ task: t, onOpen, selected, onSelect, onRetry, retrying }: TaskRowProps) {
  const running = isRunning(t.status);
  const open = (e: MouseEvent) => {
    // Selecting text in a row should not open it.
    if (window.getSelection()?.toString()) return;
    e.stopPropagation();
    onOpen(t.id);
  };
  const out = t.status === 'completed' ? mainOutput(t) : undefined;
  return (
    <tr
      data-testid="task-row"
      data-task-id={t.id}
      data-status={t.status}
      className={`history-row${selected ? ' is-selected' : ''}`}
      onClick={open}
    >
      <td className="history-col-check" onClick={stop}>
        <input
          type="checkbox"
          className="history-check"
          aria-label={`Select ${t.filename}`}
          checked={selected}
          onChange={(e) => onSelect(t.id, e.target.checked)}
        />
      </td>
      <td data-label="Filename" className="history-filename-cell">
        <button type="button" className="btn-link filename-button" onClick={open} title={t.filename}>
          {t.filename}
        </button>
      </td>
      <td data-label="Status">
        <span className="history-status">
          <StatusBadge status={t.status} review={t.review} />
          {running && t.pages_total > 0 && (
            <span className="muted history-progress">
              {t.pages_done}/{t.pages_total}
              <span className="visually-hidden"> pages done</span>
            </span>
          )}
        </span>
      </td>
      <td className="history-wide">{t.engine || '—'}</td>
      <td className="history-wide history-langs" title={t.lang}>
        {t.lang ? languageNames(t.lang) : '—'}
      </td>
      <td className="history-wide history-num">{formatBytes(t.input_bytes)}</td>
      <td data-label="Pages" className="history-num">
        {t.pages_total > 0 ? t.pages_total : '—'}
      </td>
      <td data-label="Created">
        <time dateTime={t.created_at}>{formatDateTime(t.created_at)}</time>
      </td>
      <td data-label="Duration" className="history-num">
        {running ? '—' : formatDuration(t.duration_ms)}
      </td>
      <td className="history-actions" onClick={stop}>
        {out && (
          <DownloadAnchor
            className="btn btn-small"
            href={taskService.fileURL(t.id, out.id)}
            filename={out.name}
            aria-label={`Download ${DOWNLOAD_NAMES[out.kind]} of ${t.filename}`}
          >
            Download {DOWNLOAD_NAMES[out.kind]}
          </DownloadAnchor>
        )}
        {t.retryable && (
          <button
            type="button"
            className="btn btn-small"
            aria-label={`Retry ${t.filename}`}
            disabled={retrying}
            onClick={() => onRetry(t.id)}
          >
            {retrying ? 'Retrying…' : 'Retry'}
          </button>
        )}
      </td>
    </tr>
  );
});
