// Tasks the user is watching: the ones uploaded or running, for the upload
// page's live list and the header's "running" badge.
import { create } from 'zustand';
import { taskService } from '../api/taskService';
import { isRunning, type Task } from '../api/types';

export interface TaskState {
  /** Tasks by id, newest version of each. */
  byId: Record<string, Task>;
  /** Ids shown on the upload page, newest first. */
  recent: string[];
  /** upsert stores a task's latest state (from an upload, SSE event or fetch). */
  upsert(t: Task, opts?: { recent?: boolean }): void;
  /** remove forgets a deleted task. */
  remove(id: string): void;
  /** forget drops ids from the upload page's list (the tasks stay on the server). */
  forget(ids: string[]): void;
  /** loadRunning fetches the user's pending and processing tasks (for the badge). */
  loadRunning(): Promise<void>;
  reset(): void;
}

/** runningCount counts the tasks not yet in a final state. */
export function runningCount(s: Pick<TaskState, 'byId'>): number {
  let n = 0;
  for (const t of Object.values(s.byId)) if (isRunning(t.status)) n++;
  return n;
}

export const useTaskStore = create<TaskState>()((set) => ({
  byId: {},
  recent: [],

  upsert(t, opts) {
    set((s) => ({
      byId: { ...s.byId, [t.id]: t },
      recent: opts?.recent && !s.recent.includes(t.id) ? [t.id, ...s.recent] : s.recent,
    }));
  },

  remove(id) {
    set((s) => {
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
    const [pending, processing] = await Promise.all([
      taskService.list({ status: 'pending', page_size: 200 }),
      taskService.list({ status: 'processing', page_size: 200 }),
    ]);
    const running = [...pending.items, ...processing.items];
    const fresh = new Set(running.map((t) => t.id));
    set((s) => {
      const byId = { ...s.byId };
      // A task we last saw running but the server no longer lists as
      // running has finished unwatched (or gone): drop it so the badge does
      // not count it; whoever shows it fetches it again.
      for (const [id, t] of Object.entries(byId)) {
        if (isRunning(t.status) && !fresh.has(id)) delete byId[id];
      }
      for (const t of running) byId[t.id] = t;
      return { byId };
    });
  },

  reset() {
    set({ byId: {}, recent: [] });
  },
}));
