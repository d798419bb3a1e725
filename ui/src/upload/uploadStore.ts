// The upload queue: files the user chose, uploaded one request per file and
// at most MAX_CONCURRENT at a time, each row later becoming a watched task.
// It lives outside the page so uploads carry on while the user looks at the
// history and the list is still there when they come back.
import { create } from 'zustand';
import { ApiError } from '../api/client';
import { taskService, type UploadHandle, type UploadParams } from '../api/taskService';
import { isRunning, type Task } from '../api/types';
import { describeError } from '../components/ErrorBanner';
import { useAuthStore } from '../stores/authStore';
import { eventClock, useTaskStore } from '../stores/taskStore';

/** MAX_CONCURRENT is how many files upload at the same time; the rest wait. */
export const MAX_CONCURRENT = 2;

/** Rejection is why a file was not accepted, in plain words. */
export interface Rejection {
  message: string;
  /** retryable: sending the same file again may work (a network or server hiccup). */
  retryable: boolean;
}

/** FileRow is a file not (yet) a task: waiting, uploading or rejected. */
export interface FileRow {
  kind: 'file';
  key: string;
  /** order of addition: waiting files start first come, first served. */
  order: number;
  file: File;
  /** params are the options chosen when the file was added (later changes do not apply). */
  params: UploadParams;
  phase: 'waiting' | 'uploading' | 'rejected';
  /** progress of the upload, 0..1. */
  progress: number;
  rejection?: Rejection;
}

/** TaskRow is an uploaded file: the task itself lives in useTaskStore. */
export interface TaskRow {
  kind: 'task';
  key: string;
  taskId: string;
}

/** UploadRow is one line of the upload page's list. */
export type UploadRow = FileRow | TaskRow;

/** UploadState is the list (newest first) and what can be done with it. */
export interface UploadState {
  rows: UploadRow[];
  /** add queues files with the given options; empty files are rejected at once. */
  add(files: File[], params: UploadParams): void;
  /** cancel stops a waiting or running upload and drops its row. */
  cancel(key: string): void;
  /** retryUpload sends a rejected file again. */
  retryUpload(key: string): void;
  /** dismiss drops a row from the list (never deletes anything on the server). */
  dismiss(key: string): void;
  /** showTasks adds rows for tasks not yet listed (e.g. still running from before a reload). */
  showTasks(tasks: Task[]): void;
  /** clearFinished drops rejected files and tasks in a final state. */
  clearFinished(): void;
  /** reset empties the list and aborts uploads (sign-out, tests). */
  reset(): void;
}

// Abort handles of the running uploads, by row key: not state, nothing renders them.
const handles = new Map<string, UploadHandle>();
let seq = 0;

/** describeRejection explains a failed upload the way the upload page shows it. */
export function describeRejection(err: unknown): Rejection {
  if (!(err instanceof ApiError)) return { message: describeError(err), retryable: true };
  if (err.isNetwork) return { message: 'Upload interrupted — check your connection.', retryable: true };
  switch (err.status) {
    case 401:
      return { message: 'Your session has ended. Sign in again to upload.', retryable: false };
    case 413:
    case 422:
      return { message: err.message, retryable: false };
    case 415:
      return { message: 'Not an image or PDF ocrbox can read.', retryable: false };
    case 429:
      if (err.code === 'quota_exceeded') return { message: `Quota reached: ${err.message}`, retryable: false };
      return {
        message: `Too many uploads right now — try again${err.retryAfter ? ` in ${Math.ceil(err.retryAfter)} s` : ' in a moment'}.`,
        retryable: true,
      };
  }
  return { message: describeError(err), retryable: err.status >= 500 };
}

/** useUploadStore holds the upload page's list across page visits. */
export const useUploadStore = create<UploadState>()((set, get) => {
  const patch = (key: string, p: Partial<FileRow>) =>
    set((s) => ({ rows: s.rows.map((r) => (r.key === key && r.kind === 'file' ? { ...r, ...p } : r)) }));

  // pump starts the oldest waiting files while fewer than MAX_CONCURRENT run.
  const pump = () => {
    const files = get().rows.filter((r): r is FileRow => r.kind === 'file');
    const free = MAX_CONCURRENT - files.filter((r) => r.phase === 'uploading').length;
    if (free <= 0) return;
    const next = files.filter((r) => r.phase === 'waiting').sort((a, b) => a.order - b.order);
    for (const r of next.slice(0, free)) start(r);
  };

  const start = (row: FileRow) => {
    patch(row.key, { phase: 'uploading', progress: 0, rejection: undefined });
    const since = eventClock();
    const h = taskService.upload(row.file, row.params, (f) => {
      if (handles.get(row.key) === h) patch(row.key, { progress: f });
    });
    handles.set(row.key, h);
    h.promise.then(
      (task) => {
        if (handles.get(row.key) !== h) return;
        handles.delete(row.key);
        // The stream may have told of the task's progress before this answer came.
        useTaskStore.getState().upsert(task, { recent: true, since });
        // The file's row becomes the task's; a row the stream already added for it goes.
        set((s) => ({
          rows: s.rows
            .filter((r) => !(r.kind === 'task' && r.taskId === task.id))
            .map((r) => (r.key === row.key ? { kind: 'task', key: row.key, taskId: task.id } : r)),
        }));
        pump();
      },
      (err: unknown) => {
        // A cancelled upload has already left the list.
        if (handles.get(row.key) !== h) return;
        handles.delete(row.key);
        patch(row.key, { phase: 'rejected', rejection: describeRejection(err) });
        pump();
      },
    );
  };

  const drop = (key: string) => {
    const h = handles.get(key);
    handles.delete(key);
    h?.abort();
    set((s) => ({ rows: s.rows.filter((r) => r.key !== key) }));
  };

  return {
    rows: [],

    add(files, params) {
      const fresh: FileRow[] = files.map((file) => {
        const order = ++seq;
        const key = `f${order}`;
        if (file.size === 0) {
          return {
            kind: 'file',
            key,
            order,
            file,
            params,
            phase: 'rejected',
            progress: 0,
            rejection: { message: 'This file is empty — there is nothing to read.', retryable: false },
          };
        }
        return { kind: 'file', key, order, file, params, phase: 'waiting', progress: 0 };
      });
      // The new selection goes on top, its files in the order chosen.
      set((s) => ({ rows: [...fresh, ...s.rows] }));
      pump();
    },

    cancel(key) {
      drop(key);
      pump();
    },

    retryUpload(key) {
      const r = get().rows.find((x) => x.key === key);
      if (r?.kind !== 'file' || r.phase !== 'rejected') return;
      // Back of the queue, like a file just added.
      patch(key, { phase: 'waiting', progress: 0, rejection: undefined, order: ++seq });
      pump();
    },

    dismiss(key) {
      drop(key);
      pump();
    },

    showTasks(tasks) {
      set((s) => {
        const listed = new Set(s.rows.flatMap((r) => (r.kind === 'task' ? [r.taskId] : [])));
        const more: TaskRow[] = [...tasks]
          .filter((t) => !listed.has(t.id))
          .sort((a, b) => b.created_at.localeCompare(a.created_at))
          .map((t) => ({ kind: 'task', key: `t-${t.id}`, taskId: t.id }));
        return more.length ? { rows: [...s.rows, ...more] } : s;
      });
    },

    clearFinished() {
      const byId = useTaskStore.getState().byId;
      set((s) => ({ rows: s.rows.filter((r) => !isFinishedRow(r, byId)) }));
    },

    reset() {
      for (const h of handles.values()) h.abort();
      handles.clear();
      set({ rows: [] });
    },
  };
});

/** isFinishedRow: a row "Clear finished" would remove. */
export function isFinishedRow(r: UploadRow, byId: Record<string, Task>): boolean {
  if (r.kind === 'file') return r.phase === 'rejected';
  const t = byId[r.taskId];
  return !!t && !isRunning(t.status);
}

// Another user may sign in next in this tab: forget the list (and stop the
// uploads) as soon as the session ends.
useAuthStore.subscribe((s, prev) => {
  if (prev.status === 'signedIn' && s.status !== 'signedIn') useUploadStore.getState().reset();
});
