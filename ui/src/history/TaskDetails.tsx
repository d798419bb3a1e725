import { useCallback, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useLocation } from 'react-router';
import { ApiError } from '../api/client';
import { taskService } from '../api/taskService';
import { useFetch } from '../api/useFetch';
import { isRunning, type FileKind, type Task, type TaskFile } from '../api/types';
import { DownloadAnchor } from '../components/DownloadAnchor';
import { describeError, ErrorBanner } from '../components/ErrorBanner';
import { Modal } from '../components/Modal';
import { Spinner } from '../components/Spinner';
import { StatusBadge } from '../components/StatusBadge';
import { formatBytes, formatDateTime, formatDuration, formatPlaceInLine } from '../components/format';
import { useDocumentTitle } from '../shell/documentTitle';
import { languageNames } from '../upload/languages';
import { useResync, useTaskEvent } from '../stores/taskEvents';
import { eventClock, useTaskStore } from '../stores/taskStore';

/** PREVIEW_CHARS caps the text preview; the full text is a download away. */
export const PREVIEW_CHARS = 20_000;

/** FILE_LABELS name each file kind in its download link ("Download {label}"). */
export const FILE_LABELS: Record<FileKind, string> = {
  input: 'original',
  txt: 'text',
  hocr: 'hOCR',
  json: 'JSON',
  pdf: 'PDF',
};
/** FILE_ORDER is the order downloads are listed in. */
export const FILE_ORDER: FileKind[] = ['input', 'txt', 'hocr', 'json', 'pdf'];

/** TaskDetailsProps: which task, and how to tell the page something changed. */
export interface TaskDetailsProps {
  id: string;
  onClose(): void;
  /** onChanged: the task was retried or cancelled; the list should reload. */
  onChanged(): void;
  /** onDeleted: the task is gone; the page closes the dialog and reloads. */
  onDeleted(): void;
}

type Action = 'retry' | 'cancel' | 'delete';

/** notFound: the server hides other users' tasks behind 403 and missing ones behind 404. */
function notFound(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 403 || e.status === 404);
}

/**
 * keepFresh puts a fetched task into the store when the store tracks it or
 * it can still change; since is eventClock() from before the request.
 */
function keepFresh(t: Task, since: number): void {
  const s = useTaskStore.getState();
  if (isRunning(t.status) || s.byId[t.id]) s.upsert(t, { since });
}

/**
 * TaskDetails is the dialog for one task (?task=ID): its metadata, a preview
 * of the recognised text, downloads and the actions its status allows. It
 * loads the task itself, so it works for tasks not on the current page.
 */
export function TaskDetails({ id, onClose, onChanged, onDeleted }: TaskDetailsProps) {
  const {
    data: fetched,
    error: loadError,
    reload,
    set: setFetched,
  } = useFetch(id, async (signal) => {
    const since = eventClock();
    const t = await taskService.get(id, signal);
    keepFresh(t, since);
    return t;
  });
  const live = useTaskStore((s) => s.byId[id]);
  // The store holds the live versions (the event stream keeps them current);
  // only trust it once the server let us see the task.
  const task = fetched ? (live ?? fetched) : undefined;

  // Events may have been missed: ask again. Deleted elsewhere: close.
  useResync(reload);
  const deleting = useRef(false);
  useTaskEvent((e) => {
    if (e.type === 'deleted' && e.id === id && !deleting.current) {
      deleting.current = true;
      onDeleted();
    }
  });

  const running = task ? isRunning(task.status) : false;

  const [busy, setBusy] = useState<Action>();
  const [actionError, setActionError] = useState<unknown>();
  const [confirming, setConfirming] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>();

  // Both dialogs listen for Escape on the document; while the confirmation
  // is open only it should close. The ref keeps close() stable for Modal.
  const confirmingRef = useRef(false);
  const onCloseRef = useRef(onClose);
  useLayoutEffect(() => {
    confirmingRef.current = confirming;
    onCloseRef.current = onClose;
  });
  const close = useCallback(() => {
    if (!confirmingRef.current) onCloseRef.current();
  }, []);
  const closeConfirm = useCallback(() => {
    setConfirming(false);
    setDeleteError(undefined);
  }, []);

  const act = async (action: Exclude<Action, 'delete'>) => {
    setBusy(action);
    setActionError(undefined);
    try {
      await (action === 'retry' ? taskService.retry(id) : taskService.cancel(id));
      const since = eventClock();
      const t = await taskService.get(id);
      keepFresh(t, since);
      setFetched(t);
      onChanged();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(undefined);
    }
  };

  const remove = async () => {
    setBusy('delete');
    setDeleteError(undefined);
    try {
      deleting.current = true;
      await taskService.remove(id);
      useTaskStore.getState().remove(id);
      setConfirming(false);
      onDeleted();
    } catch (e) {
      deleting.current = false;
      setDeleteError(e);
      setBusy(undefined);
    }
  };

  const title = task?.filename ?? (loadError ? 'Task details' : 'Loading task…');
  // The tab names the open task (over the page's "History").
  useDocumentTitle(task?.filename ?? 'Task details', 'dialog');
  // The server says whether a retry can help (a corrupt file would fail the same way).
  const canRetry = task?.retryable === true;

  const footer = task ? (
    <>
      {task.pages_total > 0 && task.status !== 'pending' && <ViewResultLink task={task} />}
      {canRetry && (
        <button type="button" className="btn btn-primary" disabled={busy !== undefined} onClick={() => void act('retry')}>
          {busy === 'retry' ? 'Retrying…' : 'Retry'}
        </button>
      )}
      {running && (
        <button type="button" className="btn" disabled={busy !== undefined} onClick={() => void act('cancel')}>
          {busy === 'cancel' ? 'Cancelling…' : 'Cancel task'}
        </button>
      )}
      <span className="spacer" />
      <button type="button" className="btn btn-danger" disabled={busy !== undefined} onClick={() => setConfirming(true)}>
        Delete
      </button>
    </>
  ) : undefined;

  return (
    <>
      <Modal title={title} onClose={close} footer={footer} wide>
        {task ? (
          <TaskBody task={task} actionError={actionError} />
        ) : loadError ? (
          notFound(loadError) ? (
            <p className="banner banner-warn" role="alert">
              This task does not exist or is not yours.
            </p>
          ) : (
            <ErrorBanner title="Could not load the task." error={loadError} onRetry={reload} />
          )
        ) : (
          <div className="details-loading">
            <Spinner label="Loading task…" />
          </div>
        )}
      </Modal>
      {confirming && task && (
        <Modal
          title="Delete this task?"
          onClose={closeConfirm}
          footer={
            <>
              <button type="button" className="btn" onClick={closeConfirm} disabled={busy === 'delete'}>
                Keep
              </button>
              <button type="button" className="btn btn-danger btn-solid" onClick={() => void remove()} disabled={busy === 'delete'}>
                {busy === 'delete' ? 'Deleting…' : 'Delete task'}
              </button>
            </>
          }
        >
          <p>
            Delete <strong className="long-name">{task.filename}</strong>? Its results are removed for good.
          </p>
          {deleteError !== undefined && (
            <p className="history-error" role="alert">
              {describeError(deleteError)}
            </p>
          )}
        </Modal>
      )}
    </>
  );
}

/** TaskBody is the dialog's content once the task is known. */
function TaskBody({ task, actionError }: { task: Task; actionError: unknown }) {
  const running = isRunning(task.status);
  const files = [...task.files].sort((a, b) => FILE_ORDER.indexOf(a.kind) - FILE_ORDER.indexOf(b.kind));
  return (
    <div className="task-details stack">
      {actionError !== undefined && (
        <p className="banner banner-error" role="alert">
          {describeError(actionError)}
        </p>
      )}
      {task.status === 'failed' && task.error && (
        <div className="banner banner-error" role="alert">
          <span>
            <strong>Recognition failed: </strong>
            {task.error}
            {!task.retryable && (
              <>
                {' '}
                <span className="muted">The file itself is the problem, so trying again would fail the same way: upload a corrected file.</span>
              </>
            )}
          </span>
        </div>
      )}
      <dl className="details-meta">
        <Meta term="Status">
          <span className="history-status">
            <StatusBadge status={task.status} review={task.review} />
            {running && task.pages_total > 0 && (
              <span className="muted">
                {task.pages_done} / {task.pages_total} pages
              </span>
            )}
            {task.status === 'pending' && formatPlaceInLine(task.queue_position) && (
              <span className="muted">{formatPlaceInLine(task.queue_position)}</span>
            )}
          </span>
        </Meta>
        <Meta term="Engine">{task.engine || '—'}</Meta>
        <Meta term="Languages">{task.lang ? <span title={task.lang}>{languageNames(task.lang)}</span> : '—'}</Meta>
        <Meta term="Pages">{task.pages_total > 0 ? task.pages_total : '—'}</Meta>
        <Meta term="Size">{formatBytes(task.input_bytes)}</Meta>
        <Meta term="Created">
          <DateTime iso={task.created_at} />
        </Meta>
        <Meta term="Started">
          <DateTime iso={task.started_at} />
        </Meta>
        {/* A failed or cancelled task ended then; it did not complete. */}
        <Meta term={endedTerm(task.status)}>
          <DateTime iso={task.completed_at} />
        </Meta>
        <Meta term="Duration">{running ? '—' : formatDuration(task.duration_ms)}</Meta>
        <Meta term="Attempts">{task.attempts}</Meta>
        <Meta term="Task ID">
          <code className="details-task-id">{task.id}</code>
        </Meta>
      </dl>

      <TextPreview task={task} />

      <section aria-label="Downloads" className="details-downloads">
        <h3>Downloads</h3>
        {files.length === 0 ? (
          <p className="muted">No files yet.</p>
        ) : (
          <ul className="details-download-list">
            {files.map((f) => (
              <DownloadLink key={f.id} taskId={task.id} file={f} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function Meta({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="details-meta-item">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** endedTerm names the end time by how the task ended: Completed, Failed or Cancelled. */
export function endedTerm(status: Task['status']): string {
  return status === 'failed' ? 'Failed' : status === 'cancelled' ? 'Cancelled' : 'Completed';
}

function DateTime({ iso }: { iso: string | null }) {
  return iso ? <time dateTime={iso}>{formatDateTime(iso)}</time> : <>—</>;
}

/**
 * ViewResultLink opens the task in the result viewer, carrying the history
 * search (so the viewer lands on its first hit) and where to come back to.
 */
function ViewResultLink({ task }: { task: Task }) {
  const loc = useLocation();
  const q = new URLSearchParams(loc.search).get('q')?.trim();
  const to = `/tasks/${encodeURIComponent(task.id)}${q ? `?q=${encodeURIComponent(q)}` : ''}`;
  return (
    <Link className={`btn${task.status === 'completed' ? ' btn-primary' : ''}`} to={to} state={{ from: loc.pathname + loc.search }}>
      View result
    </Link>
  );
}

/** DownloadLink is one file's download button with its name and size (also in the viewer). */
export function DownloadLink({ taskId, file }: { taskId: string; file: TaskFile }) {
  return (
    <li>
      <DownloadAnchor className="btn btn-small" href={taskService.fileURL(taskId, file.id)} filename={file.name}>
        Download {FILE_LABELS[file.kind] ?? file.kind}
      </DownloadAnchor>
      <span className="muted details-download-meta">
        {file.name} · {formatBytes(file.size)}
      </span>
    </li>
  );
}

/** TextPreview shows the start of the text output, fetched when it exists. */
function TextPreview({ task }: { task: Task }) {
  const txt = task.files.find((f) => f.kind === 'txt');
  const txtId = txt?.id;
  const fetched = useFetch(txtId ? `${task.id}/${txtId}` : null, async (signal) => {
    const text = await taskService.fileText(task.id, txtId!, signal);
    return { text: text.slice(0, PREVIEW_CHARS), full: text.length };
  });
  // Without a text file (any more) there is nothing to show.
  const state = { ...(txtId ? fetched.data : undefined), error: fetched.error, loading: fetched.loading };

  let body: ReactNode;
  if (state.loading) {
    body = <Spinner label="Loading the text…" />;
  } else if (state.error !== undefined) {
    body = <ErrorBanner title="Could not load the text." error={state.error} onRetry={fetched.reload} />;
  } else if (state.text !== undefined) {
    body = state.text.trim() ? (
      <>
        <pre className="details-text" tabIndex={0}>
          {state.text}
        </pre>
        {state.full !== undefined && state.full > PREVIEW_CHARS && (
          <p className="muted">
            Showing the first {PREVIEW_CHARS.toLocaleString()} of {state.full.toLocaleString()} characters — download the text for all
            of it.
          </p>
        )}
      </>
    ) : (
      <p className="muted">No text was recognised.</p>
    );
  } else if (isRunning(task.status)) {
    body = <p className="muted">The text appears here when recognition finishes.</p>;
  } else {
    body = <p className="muted">No text output</p>;
  }

  return (
    <section aria-label="Text preview" className="details-preview">
      <h3>Text preview</h3>
      {body}
    </section>
  );
}
