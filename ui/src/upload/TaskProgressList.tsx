import { useState } from 'react';
import { Link } from 'react-router';
import { taskService } from '../api/taskService';
import { isRunning, type Task } from '../api/types';
import { DownloadAnchor } from '../components/DownloadAnchor';
import { describeError } from '../components/ErrorBanner';
import { formatBytes, formatDuration, formatPlaceInLine } from '../components/format';
import { StatusBadge } from '../components/StatusBadge';
import { eventClock, useTaskStore } from '../stores/taskStore';
import { languageNames } from './languages';
import { DOWNLOAD_LABELS } from './options';
import { useUploadStore, type FileRow, type UploadRow } from './uploadStore';

/** TaskProgressList is the upload page's list: one row per file or task, newest first. */
export function TaskProgressList({ rows }: { rows: UploadRow[] }) {
  return (
    <ul className="task-list">
      {rows.map((r) => (r.kind === 'file' ? <FileRowView key={r.key} row={r} /> : <TaskRowView key={r.key} rowKey={r.key} taskId={r.taskId} />))}
    </ul>
  );
}

/**
 * Progress is an accessible progress bar (0–100). working is the share of
 * the bar (0–100) now being worked on: it shimmers there, so a one-page
 * task does not sit at 0 % while its page is recognised.
 */
function Progress({ value, label, working, valueText }: { value: number; label: string; working?: number; valueText?: string }) {
  const v = Math.max(0, Math.min(100, Math.round(value)));
  const w = working ? Math.max(0, Math.min(100 - v, working)) : 0;
  return (
    <div
      className="progress"
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={v}
      aria-valuetext={valueText}
      aria-label={label}
    >
      <span style={{ width: `${v}%` }} />
      {w > 0 && <span className="progress-working" data-testid="progress-working" style={{ left: `${v}%`, width: `${w}%` }} />}
    </div>
  );
}

/** recognising says which page is being read ("Recognising page 3 of 10…"), while one is. */
export function recognising(t: Task): string | undefined {
  if (t.status !== 'processing' || t.pages_total <= 0 || t.pages_done >= t.pages_total) return undefined;
  return t.pages_total === 1 ? 'Recognising…' : `Recognising page ${t.pages_done + 1} of ${t.pages_total}…`;
}

/** FileRowView is a file still on its way: waiting, uploading or rejected. */
function FileRowView({ row }: { row: FileRow }) {
  const { cancel, retryUpload, dismiss } = useUploadStore.getState();
  const name = row.file.name || 'Unnamed file';
  const rejected = row.phase === 'rejected';
  const pct = Math.round(row.progress * 100);
  return (
    // Waiting files count as "uploading": they are in the upload step, just queued behind others.
    <li className={`task-row${rejected ? ' task-row-rejected' : ''}`} data-testid="task-row" data-status={rejected ? 'rejected' : 'uploading'} data-phase={row.phase}>
      <div className="task-row-head">
        <span className="task-row-name" title={name}>
          {name}
        </span>
        <span className="muted task-row-size">{formatBytes(row.file.size)}</span>
        <span className="badge">{rejected ? 'Not uploaded' : row.phase === 'waiting' ? 'Waiting…' : `Uploading ${pct}%`}</span>
      </div>
      {rejected ? (
        <p className="task-row-error" role="alert">
          {row.rejection?.message ?? 'The upload failed.'}
        </p>
      ) : (
        <Progress value={pct} label={`Upload progress for ${name}`} />
      )}
      <div className="task-row-actions">
        {!rejected && (
          <button type="button" className="btn btn-small" onClick={() => cancel(row.key)}>
            Cancel upload
          </button>
        )}
        {rejected && row.rejection?.retryable && (
          <button type="button" className="btn btn-small btn-primary" onClick={() => retryUpload(row.key)}>
            Retry upload
          </button>
        )}
        {rejected && (
          <button type="button" className="btn btn-small" onClick={() => dismiss(row.key)}>
            Dismiss
          </button>
        )}
      </div>
    </li>
  );
}

/** pagesText is "{done} / {total} pages" (or a placeholder while the page count is unknown). */
export function pagesText(t: Task): string {
  if (t.pages_total <= 0 && isRunning(t.status)) return 'Counting pages…';
  return `${t.pages_done} / ${t.pages_total} ${t.pages_total === 1 ? 'page' : 'pages'}`;
}

/** TaskRowView is an uploaded file followed live until it is done. */
function TaskRowView({ rowKey, taskId }: { rowKey: string; taskId: string }) {
  const task = useTaskStore((s) => s.byId[taskId]);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string>();

  if (!task) {
    return (
      <li className="task-row" data-testid="task-row" data-status="gone" data-task-id={taskId}>
        <p className="muted">This task is no longer available (it may have been deleted).</p>
        <div className="task-row-actions">
          <button type="button" className="btn btn-small" onClick={() => useUploadStore.getState().dismiss(rowKey)}>
            Dismiss
          </button>
        </div>
      </li>
    );
  }

  const name = task.filename || 'Unnamed file';
  // act runs a retry or cancel and then fetches the task so the row picks
  // up the new state at once (the event stream follows it from there).
  const act = async (what: 'retry' | 'cancel') => {
    setBusy(true);
    setActionError(undefined);
    try {
      await taskService[what](task.id);
      try {
        const since = eventClock();
        useTaskStore.getState().upsert(await taskService.get(task.id), { since });
      } catch {
        // The action went through; assume its usual effect until the next update.
        if (what === 'retry') useTaskStore.getState().upsert({ ...task, status: 'pending', error: '', error_code: '', retryable: false, pages_done: 0 });
      }
    } catch (e) {
      setActionError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const running = isRunning(task.status);
  const pct = task.pages_total > 0 ? (task.pages_done / task.pages_total) * 100 : 0;
  const reading = recognising(task);
  const outputs = task.files.filter((f) => f.kind !== 'input');
  // The server says whether a retry can help (a corrupt file would fail the same way).
  const canRetry = task.retryable;

  return (
    <li className={`task-row task-row-${task.status}`} data-testid="task-row" data-status={task.status} data-task-id={task.id}>
      <div className="task-row-head">
        <span className="task-row-name" title={name}>
          {name}
        </span>
        <span className="muted task-row-size">{formatBytes(task.input_bytes)}</span>
        {/* A status region: screen readers hear "Processing", "Completed"… as they happen. */}
        <span role="status">
          <StatusBadge status={task.status} review={task.review} />
        </span>
      </div>
      <div className="task-row-meta muted">
        <span>{pagesText(task)}</span>
        {reading && <span className="task-row-reading">{reading}</span>}
        {task.status === 'pending' && formatPlaceInLine(task.queue_position) && <span>{formatPlaceInLine(task.queue_position)}</span>}
        {task.status === 'completed' && task.duration_ms > 0 && <span>in {formatDuration(task.duration_ms)}</span>}
        <span>
          {task.engine}
          {task.lang ? ` · ${languageNames(task.lang)}` : ''}
        </span>
      </div>
      {running && (
        <Progress
          value={pct}
          label={`OCR progress for ${name}`}
          // The page in progress shimmers: one page's share of the bar.
          working={reading ? 100 / task.pages_total : undefined}
          valueText={reading ? `${Math.round(pct)}%, ${reading}` : undefined}
        />
      )}
      {task.status === 'failed' && (
        <p className="task-row-error" role="alert">
          {task.error || 'Text recognition failed.'}
        </p>
      )}
      {actionError && (
        <p className="task-row-error" role="alert">
          {actionError}
        </p>
      )}
      <div className="task-row-actions">
        {task.status === 'completed' &&
          outputs.map((f) => (
            <DownloadAnchor key={f.id} className="btn btn-small" href={taskService.fileURL(task.id, f.id)} filename={f.name}>
              Download {DOWNLOAD_LABELS[f.kind] ?? f.kind}
            </DownloadAnchor>
          ))}
        {canRetry && (
          <button type="button" className="btn btn-small btn-primary" disabled={busy} onClick={() => void act('retry')}>
            Retry
          </button>
        )}
        {running && (
          <button type="button" className="btn btn-small" disabled={busy} onClick={() => void act('cancel')}>
            Cancel task
          </button>
        )}
        <Link className="btn btn-small btn-link" to={`/history?task=${encodeURIComponent(task.id)}`}>
          Details
        </Link>
      </div>
    </li>
  );
}
