// Live task updates: one Server-Sent Events stream per tab for all of the
// user's tasks (GET /api/v1/events), whatever their number. A browser
// allows six connections per server over HTTP/1.1; one stream per task
// stalled everything past six running tasks (issue 13).
//
// Every event lands in useTaskStore, which the badge, the upload list, the
// history rows and the details dialog read. "ready" (a new stream) and
// "reset" (events were missed) ask whoever shows tasks to fetch them again
// (useResync). When the stream cannot be opened, the running tasks are
// polled until it can.
import { useEffect, useEffectEvent, useRef } from 'react';
import { create } from 'zustand';
import { taskService } from '../api/taskService';
import type { Task } from '../api/types';
import { useTaskStore } from './taskStore';

/** POLL_MS is the polling interval while the stream is down. */
export const POLL_MS = 3000;
/** RECONNECT_MS bounds the wait before opening a failed stream again (doubling, with jitter). */
export const RECONNECT_MS = { min: 1000, max: 30_000 };

/**
 * StreamStatus: off (nobody signed in), connecting, open, or down (the
 * server refused the stream or it failed: polling, and trying again).
 */
export type StreamStatus = 'off' | 'connecting' | 'open' | 'down';

export interface TaskEventsState {
  status: StreamStatus;
  /** resyncs counts the times what is shown must be fetched again (a new stream, or a reset). */
  resyncs: number;
}

/** useTaskEventsStore is the stream's status, for tests and whoever wants to show it. */
export const useTaskEventsStore = create<TaskEventsState>()(() => ({ status: 'off', resyncs: 0 }));

/**
 * TaskEvent is one change the stream reported, after the store has it.
 * isNew: the app had not heard of the task before (created, or changed
 * while nothing here showed it).
 */
export type TaskEvent = { type: 'task'; task: Task; isNew: boolean } | { type: 'deleted'; id: string };

const listeners = new Set<(e: TaskEvent) => void>();

/** onTaskEvent calls fn for every task event; it returns the unsubscribe function. */
export function onTaskEvent(fn: (e: TaskEvent) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(e: TaskEvent) {
  for (const fn of [...listeners]) fn(e);
}

// EventSource.CLOSED, also where EventSource is a test fake without the constant.
const CLOSED = 2;

/** Connection is the one stream of the tab and what keeps it going. */
class Connection {
  private es?: EventSource;
  private lastId = '';
  private failures = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private pollTimer?: ReturnType<typeof setTimeout>;
  private polling = false;
  private stopped = false;

  constructor() {
    this.open();
  }

  private status(status: StreamStatus) {
    if (useTaskEventsStore.getState().status !== status) useTaskEventsStore.setState({ status });
  }

  private open() {
    if (typeof EventSource === 'undefined') {
      this.down(false);
      return;
    }
    this.status('connecting');
    const es = new EventSource(taskService.userEventsURL(this.lastId || undefined));
    this.es = es;
    const live = () => !this.stopped && this.es === es;
    const seen = (ev: Event) => {
      const id = (ev as MessageEvent).lastEventId;
      if (id) this.lastId = id;
    };
    const data = (ev: Event): unknown => {
      try {
        return JSON.parse((ev as MessageEvent<string>).data);
      } catch {
        return undefined; // a garbled event: the next one, or a resync, brings the state
      }
    };
    es.onopen = () => {
      if (!live()) return;
      this.failures = 0;
      this.stopPolling();
      this.status('open');
    };
    const resync = (ev: Event) => {
      if (!live()) return;
      seen(ev);
      this.stopPolling();
      this.status('open');
      useTaskEventsStore.setState((s) => ({ resyncs: s.resyncs + 1 }));
      void useTaskStore
        .getState()
        .loadRunning()
        .catch(() => undefined); // a hint for the badge; the API client handles a 401
    };
    es.addEventListener('ready', resync);
    es.addEventListener('reset', resync);
    es.addEventListener('task', (ev) => {
      if (!live()) return;
      seen(ev);
      const t = data(ev) as Task | undefined;
      if (!t?.id) return;
      const isNew = !(t.id in useTaskStore.getState().byId);
      useTaskStore.getState().applyEvent(t);
      emit({ type: 'task', task: t, isNew });
    });
    es.addEventListener('deleted', (ev) => {
      if (!live()) return;
      seen(ev);
      const d = data(ev) as { id?: string } | undefined;
      if (!d?.id) return;
      useTaskStore.getState().applyDeleted(d.id);
      emit({ type: 'deleted', id: d.id });
    });
    es.onerror = () => {
      if (!live()) return;
      if (es.readyState !== CLOSED) {
        // A dropped connection: the browser reconnects by itself and sends Last-Event-ID.
        this.status('connecting');
        return;
      }
      // Refused (401, 406, 5xx, not an event stream): EventSource gives up; poll and try again later.
      es.close();
      this.es = undefined;
      this.down(true);
    };
  }

  /** down polls the running tasks and, if retry, opens the stream again after a backoff. */
  private down(retry: boolean) {
    this.status('down');
    if (!this.polling) {
      this.polling = true;
      this.poll();
    }
    if (!retry) return;
    const base = Math.min(RECONNECT_MS.min * 2 ** this.failures, RECONNECT_MS.max);
    this.failures++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.open();
    }, base / 2 + Math.random() * (base / 2));
  }

  private poll() {
    if (this.stopped || !this.polling) return;
    useTaskStore
      .getState()
      .loadRunning()
      .catch(() => undefined) // offline or 5xx: keep trying; a 401 signs out, which stops us
      .finally(() => {
        if (this.stopped || !this.polling) return;
        this.pollTimer = setTimeout(() => this.poll(), POLL_MS);
      });
  }

  private stopPolling() {
    this.polling = false;
    clearTimeout(this.pollTimer);
  }

  close() {
    this.stopped = true;
    this.es?.close();
    this.es = undefined;
    clearTimeout(this.retryTimer);
    this.stopPolling();
    this.status('off');
  }
}

let conn: Connection | undefined;
let holders = 0;
let closeTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * connectTaskEvents opens the tab's stream (or shares the open one) and
 * returns the function that lets go of it; the stream closes when the last
 * holder lets go. The close waits a tick, so that React's StrictMode
 * (unmount and mount again at once) does not reconnect.
 */
export function connectTaskEvents(): () => void {
  clearTimeout(closeTimer);
  holders++;
  conn ??= new Connection();
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    holders--;
    if (holders > 0) return;
    closeTimer = setTimeout(() => {
      if (holders > 0) return;
      conn?.close();
      conn = undefined;
    }, 0);
  };
}

/** useTaskEventStream keeps the tab's stream open while the component is mounted (the signed-in shell). */
export function useTaskEventStream(): void {
  useEffect(() => connectTaskEvents(), []);
}

/**
 * useResync calls fn each time what is shown must be fetched again: the
 * stream (re)started without being able to replay what happened since.
 * Not at mount: the caller fetches then anyway.
 */
export function useResync(fn: () => void): void {
  const resync = useEffectEvent(fn);
  const resyncs = useTaskEventsStore((s) => s.resyncs);
  const first = useRef(resyncs);
  useEffect(() => {
    if (resyncs !== first.current) resync();
  }, [resyncs]);
}

/** useTaskEvent calls fn for every task event while the component is mounted. */
export function useTaskEvent(fn: (e: TaskEvent) => void): void {
  const handle = useEffectEvent(fn);
  useEffect(() => onTaskEvent((e) => handle(e)), []);
}
