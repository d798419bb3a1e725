// The user's tasks as the app last heard of them: from the event stream
// (stores/taskEvents.ts), uploads and fetches. The upload page's live list,
// the header's "running" badge, the history rows and the details dialog
// all read them from here.
import { create } from 'zustand';
import { ApiError } from '../api/client';
import { taskService } from '../api/taskService';
import { isRunning, type Task } from '../api/types';

export interface TaskState {
  /** Tasks by id, newest version of each. */
  byId: Record<string, Task>;
  /** Ids shown on the upload page, newest first. */
  recent: string[];
  /**
   * upsert stores a task's latest state from an upload or a fetch. With
   * since (eventClock() when the request started), a task the event stream
   * changed after that keeps the stream's newer state.
   */
  upsert(t: Task, opts?: { recent?: boolean; since?: number }): void;
  /** applyEvent stores a task's state from the event stream. */
  applyEvent(t: Task): void;
  /** applyDeleted forgets a task the event stream says is gone. */
  applyDeleted(id: string): void;
  /** remove forgets a deleted task. */
  remove(id: string): void;
  /** forget drops ids from the upload page's list (the tasks stay on the server). */
  forget(ids: string[]): void;
  /**
   * loadRunning fetches the user's pending and processing tasks (for the
   * badge), and asks again for each task it still thought running: those
   * finished (or went) while nobody was told.
   */
  loadRunning(): Promise<void>;
  reset(): void;
}

/** runningCount counts the tasks not yet in a final state. */
export function runningCount(s: Pick<TaskState, 'byId'>): number {
  let n = 0;
  for (const t of Object.values(s.byId)) if (isRunning(t.status)) n++;
  return n;
}

// Event-stream clock: how many events arrived, and when each task last
// changed by one. Not state: nothing renders it.
let clock = 0;
const changedAt = new Map<string, number>();

/** eventClock is a mark to pass as upsert's since: take it before the request. */
export function eventClock(): number {
  return clock;
}

/** newerThan: the stream changed the task after the mark. */
function newerThan(id: string, since: number | undefined): boolean {
  return since !== undefined && (changedAt.get(id) ?? -1) > since;
}

/** STALE_FETCHES is how many finished-while-unwatched tasks loadRunning asks for at once. */
const STALE_FETCHES = 4;

export const useTaskStore = create<TaskState>()((set, get) => ({
  byId: {},
  recent: [],

  upsert(t, opts) {
    const fresh = !newerThan(t.id, opts?.since);
    const recent = opts?.recent && !get().recent.includes(t.id);
    if (!fresh && !recent) return;
    set((s) => ({
      byId: fresh ? { ...s.byId, [t.id]: t } : s.byId,
      recent: recent ? [t.id, ...s.recent] : s.recent,
    }));
  },

  applyEvent(t) {
    changedAt.set(t.id, ++clock);
    set((s) => ({ byId: { ...s.byId, [t.id]: t } }));
  },

  applyDeleted(id) {
    changedAt.set(id, ++clock);
    get().remove(id);
  },

  remove(id) {
    set((s) => {
      if (!(id in s.byId) && !s.recent.includes(id)) return s;
      const byId = { ...s.byId };
      delete byId[id];
      return { byId, recent: s.recent.filter((r) => r !== id) };
    });
  },

  forget(ids) {
    const drop = new Set(ids);
    set((s) => ({ recent: s.recent.filter((r) => !drop.has(r)) }));
  },

  async loadRunning() {
    const since = clock;
    const [pending, processing] = await Promise.all([
      taskService.list({ status: 'pending', page_size: 200 }),
      taskService.list({ status: 'processing', page_size: 200 }),
    ]);
    const running = [...pending.items, ...processing.items];
    const listed = new Set(running.map((t) => t.id));
    // Only a complete list tells which tasks stopped running.
    const complete = pending.total <= pending.items.length && processing.total <= processing.items.length;
    const stale = complete
      ? Object.values(get().byId)
          .filter((t) => isRunning(t.status) && !listed.has(t.id) && !newerThan(t.id, since))
          .map((t) => t.id)
      : [];
    set((s) => {
      const byId = { ...s.byId };
      for (const t of running) if (!newerThan(t.id, since)) byId[t.id] = t;
      return { byId };
    });
    const next = async (): Promise<void> => {
      const id = stale.shift();
      if (id === undefined) return;
      const mark = clock;
      try {
        get().upsert(await taskService.get(id), { since: mark });
      } catch (e) {
        if (e instanceof ApiError && (e.status === 404 || e.status === 403) && !newerThan(id, mark)) get().remove(id);
        // anything else: the next load or event brings it
      }
      return next();
    };
    await Promise.all(Array.from({ length: Math.min(STALE_FETCHES, stale.length) }, next));
  },

  reset() {
    changedAt.clear();
    set({ byId: {}, recent: [] });
  },
}));
