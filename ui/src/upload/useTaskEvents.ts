// Live task updates: one Server-Sent Events stream per watched task, with a
// polling fallback when the stream fails.
import { useEffect, useRef } from 'react';
import { ApiError } from '../api/client';
import { taskService } from '../api/taskService';
import { isRunning, type Task } from '../api/types';
import { useTaskStore } from '../stores/taskStore';

/** POLL_MS is the polling interval once a task's event stream has failed. */
export const POLL_MS = 2000;

/** TaskEventsOptions tune useTaskEvents; all optional. */
export interface TaskEventsOptions {
  /** Polling interval after a stream error (default POLL_MS). */
  pollMs?: number;
  /** onUpdate sees every new state of a watched task (after the store has it). */
  onUpdate?: (t: Task) => void;
  /** onGone is told when a task cannot be followed any more (deleted: 404, not yours: 403, signed out: 401). */
  onGone?: (id: string, err: ApiError) => void;
}

interface Callbacks {
  pollMs: number;
  onTask(t: Task): void;
  onGone(id: string, err: ApiError): void;
}

// Errors after which asking again cannot help: stop instead of looping.
const FINAL_ERRORS = new Set([401, 403, 404]);

/**
 * watchTask follows one task until it reaches a final state and returns a
 * function that stops following it. It listens to the task's event stream
 * and, when the stream fails, closes it and polls GET /tasks/{id} instead:
 * EventSource would reconnect by itself, but it cannot tell a dropped
 * connection from a 401/404, and it would retry those forever.
 */
export function watchTask(id: string, cb: Callbacks): () => void {
  let stopped = false;
  let es: EventSource | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ctrl: AbortController | undefined;

  const stop = () => {
    stopped = true;
    es?.close();
    es = undefined;
    clearTimeout(timer);
    ctrl?.abort();
  };

  const seen = (t: Task) => {
    if (stopped) return;
    cb.onTask(t);
    if (!isRunning(t.status)) stop();
  };

  const poll = (delay: number) => {
    timer = setTimeout(async () => {
      ctrl = new AbortController();
      try {
        seen(await taskService.get(id, ctrl.signal));
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && FINAL_ERRORS.has(e.status)) {
          stop();
          cb.onGone(id, e);
          return;
        }
        // anything else (offline, 5xx): keep trying at the same pace
      }
      if (!stopped) poll(cb.pollMs);
    }, delay);
  };

  if (typeof EventSource === 'undefined') {
    poll(0);
  } else {
    es = new EventSource(taskService.eventsURL(id));
    es.addEventListener('task', (ev) => {
      try {
        seen(JSON.parse((ev as MessageEvent<string>).data) as Task);
      } catch {
        // a garbled event: the next one (or the polling) brings the state
      }
    });
    es.onerror = () => {
      if (stopped) return;
      es?.close();
      es = undefined;
      // Ask once right away (the task may have ended or be gone), then every pollMs.
      poll(0);
    };
  }
  return stop;
}

/**
 * useTaskEvents keeps the given tasks up to date in useTaskStore while the
 * component is mounted: it opens a watcher for each id that joins the list,
 * stops the ones that leave it, and stops them all on unmount. A watcher ends
 * by itself when its task reaches a final state; it starts again only when
 * the id leaves the list and comes back (so pass the ids of running tasks).
 */
export function useTaskEvents(ids: readonly string[], opts: TaskEventsOptions = {}): void {
  const watchers = useRef(new Map<string, () => void>());
  const latest = useRef(opts);
  latest.current = opts;
  const key = [...new Set(ids)].sort().join('\n');

  useEffect(() => {
    const want = new Set(key ? key.split('\n') : []);
    const map = watchers.current;
    for (const [id, stop] of map) {
      if (!want.has(id)) {
        stop();
        map.delete(id);
      }
    }
    for (const id of want) {
      if (map.has(id)) continue;
      map.set(
        id,
        watchTask(id, {
          pollMs: latest.current.pollMs ?? POLL_MS,
          onTask: (t) => {
            useTaskStore.getState().upsert(t);
            latest.current.onUpdate?.(t);
          },
          onGone: (gone, err) => latest.current.onGone?.(gone, err),
        }),
      );
    }
  }, [key]);

  // Stop everything on unmount (kept apart so that a change of ids does not
  // reconnect the streams that stay).
  useEffect(() => {
    const map = watchers.current;
    return () => {
      for (const stop of map.values()) stop();
      map.clear();
    };
  }, []);
}
