import type { Task, TaskStatus } from '../api/types';

const LABELS: Record<TaskStatus, string> = {
  pending: 'Queued',
  processing: 'Processing',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** statusLabel is the word shown for a status. */
export function statusLabel(s: TaskStatus): string {
  return LABELS[s] ?? s;
}

/**
 * StatusBadge is a task status as a coloured pill. Given the task's review,
 * a completed task whose result should be checked says "Check result"
 * rather than a plain "Completed".
 */
export function StatusBadge({ status, review }: { status: TaskStatus; review?: Task['review'] }) {
  if (status === 'completed' && review) {
    return (
      <span className="badge badge-review" data-status={status} data-review="true">
        Check result
      </span>
    );
  }
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
