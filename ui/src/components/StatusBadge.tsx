import type { TaskStatus } from '../api/types';

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

/** StatusBadge is a task status as a coloured pill. */
export function StatusBadge({ status }: { status: TaskStatus }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
