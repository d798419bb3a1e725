import { useState } from 'react';
import type { Task } from '../api/types';
import { describeError } from '../components/ErrorBanner';
import { Modal } from '../components/Modal';

/** BULK_CONCURRENCY: how many deletes or retries run at once. */
export const BULK_CONCURRENCY = 3;

/** BulkAction is what the bar can do to the ticked tasks. */
export type BulkAction = 'delete' | 'retry';

/** BulkOutcome is what became of one task in a bulk action. */
export interface BulkOutcome {
  task: Task;
  error?: unknown;
}

/** BulkSummary tells how a bulk action went, for the banner after it. */
export interface BulkSummary {
  action: BulkAction;
  done: number;
  failed: { filename: string; reason: string }[];
}

/** runBulk applies fn to every task, a few at a time, and reports each outcome (never throws). */
export async function runBulk(tasks: Task[], fn: (t: Task) => Promise<unknown>, limit = BULK_CONCURRENCY): Promise<BulkOutcome[]> {
  const out: BulkOutcome[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      try {
        await fn(tasks[i]);
        out[i] = { task: tasks[i] };
      } catch (error) {
        out[i] = { task: tasks[i], error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

/** summarise turns the outcomes into the banner's numbers and reasons. */
export function summarise(action: BulkAction, outcomes: BulkOutcome[]): BulkSummary {
  return {
    action,
    done: outcomes.filter((o) => o.error === undefined).length,
    failed: outcomes.filter((o) => o.error !== undefined).map((o) => ({ filename: o.task.filename, reason: describeError(o.error) })),
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** FileNames lists filenames in a confirmation: wrapped, never wider than the dialog, each in full. */
function FileNames({ tasks }: { tasks: Task[] }) {
  return (
    <ul className="bulk-names">
      {tasks.map((t) => (
        <li key={t.id} className="long-name">
          {t.filename}
        </li>
      ))}
    </ul>
  );
}

/**
 * BulkActions is the bar over the history table while tasks are ticked:
 * how many, Retry (those a retry can help), Delete, and Clear selection.
 * Both actions ask first, run a few at a time, and end with a summary of
 * what worked and what failed and why.
 */
export function BulkActions({
  selected,
  run,
  onClear,
}: {
  /** selected are the ticked tasks (on this page). */
  selected: Task[];
  /** run applies the action to one task. */
  run(action: BulkAction, t: Task): Promise<unknown>;
  /** onClear unticks everything; after a run, the tasks that went well are given. */
  onClear(done?: Task[]): void;
}) {
  const [confirming, setConfirming] = useState<BulkAction>();
  const [busy, setBusy] = useState(false);
  const [summary, setSummary] = useState<BulkSummary>();
  const retryable = selected.filter((t) => t.retryable);
  const targets = confirming === 'retry' ? retryable : selected;

  const go = async () => {
    if (!confirming) return;
    const action = confirming;
    setBusy(true);
    const outcomes = await runBulk(targets, (t) => run(action, t));
    setBusy(false);
    setConfirming(undefined);
    setSummary(summarise(action, outcomes));
    onClear(outcomes.filter((o) => o.error === undefined).map((o) => o.task));
  };

  return (
    <>
      {selected.length > 0 && (
        <div className="bulk-bar" role="region" aria-label="Selected tasks">
          <span className="bulk-count" aria-live="polite">
            {plural(selected.length, 'task')} selected
          </span>
          <span className="spacer" />
          <button type="button" className="btn btn-small" disabled={retryable.length === 0} onClick={() => setConfirming('retry')}>
            Retry{retryable.length > 0 && retryable.length < selected.length ? ` ${retryable.length}` : ''}
          </button>
          <button type="button" className="btn btn-small btn-danger" onClick={() => setConfirming('delete')}>
            Delete
          </button>
          <button type="button" className="btn btn-small" onClick={() => onClear()}>
            Clear selection
          </button>
        </div>
      )}
      {summary && (
        <div className={`banner ${summary.failed.length ? 'banner-warn' : 'banner-info'} bulk-summary`} role="status">
          <div>
            <strong>
              {summary.action === 'delete' ? 'Deleted' : 'Retried'} {plural(summary.done, 'task')}
              {summary.failed.length > 0 && `; ${summary.failed.length} failed`}.
            </strong>
            {summary.failed.length > 0 && (
              <ul className="bulk-failures">
                {summary.failed.map((f, i) => (
                  <li key={i} className="long-name">
                    {f.filename}: {f.reason}
                  </li>
                ))}
              </ul>
            )}
          </div>
          <button type="button" className="btn btn-small" onClick={() => setSummary(undefined)}>
            Dismiss
          </button>
        </div>
      )}
      {confirming && (
        <Modal
          title={confirming === 'delete' ? `Delete ${plural(targets.length, 'task')}?` : `Retry ${plural(targets.length, 'task')}?`}
          onClose={() => !busy && setConfirming(undefined)}
          footer={
            <>
              <button type="button" className="btn" disabled={busy} onClick={() => setConfirming(undefined)}>
                Keep
              </button>
              <button
                type="button"
                className={`btn ${confirming === 'delete' ? 'btn-danger btn-solid' : 'btn-primary'}`}
                disabled={busy}
                onClick={() => void go()}
              >
                {busy
                  ? confirming === 'delete'
                    ? 'Deleting…'
                    : 'Retrying…'
                  : confirming === 'delete'
                    ? `Delete ${plural(targets.length, 'task')}`
                    : `Retry ${plural(targets.length, 'task')}`}
              </button>
            </>
          }
        >
          <p>
            {confirming === 'delete'
              ? 'These tasks and their results are removed for good:'
              : 'These tasks are queued again and recognised from the start:'}
          </p>
          <FileNames tasks={targets} />
          {confirming === 'retry' && retryable.length < selected.length && (
            <p className="muted">
              {plural(selected.length - retryable.length, 'other task')} cannot be retried (finished, running, or a file that would fail the same
              way).
            </p>
          )}
        </Modal>
      )}
    </>
  );
}
