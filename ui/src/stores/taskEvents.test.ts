import { act, renderHook } from '@testing-library/react';
import { StrictMode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Task } from '../api/types';
import { FakeEventSource, installFakes, json, stubFetch, task } from '../upload/testFakes';
import {
  connectTaskEvents,
  onTaskEvent,
  POLL_MS,
  RECONNECT_MS,
  useResync,
  useTaskEventsStore,
  useTaskEventStream,
  type TaskEvent,
} from './taskEvents';
import { eventClock, runningCount, useTaskStore } from './taskStore';

/** page is one answer of GET /tasks. */
const page = (items: Task[]) => json({ items, total: items.length, page: 1, page_size: 200 });

/** running answers GET /tasks?status=… from a list of tasks, and GET /tasks/{id} from the same list. */
function server(tasks: () => Task[]) {
  return stubFetch((m, u) => {
    if (m !== 'GET') return undefined;
    if (u.pathname === '/api/v1/tasks') return page(tasks().filter((t) => t.status === u.searchParams.get('status')));
    const id = u.pathname.match(/^\/api\/v1\/tasks\/([^/]+)$/)?.[1];
    const t = id && tasks().find((x) => x.id === id);
    if (id) return t ? json(t) : json({ error: { code: 'not_found', message: 'no such task' } }, 404);
    return undefined;
  });
}

const listCalls = (f: ReturnType<typeof stubFetch>) => f.mock.calls.filter(([u]) => String(u).startsWith('/api/v1/tasks?')).length;

/** settle lets pending fetch answers arrive, also while setTimeout is faked. */
async function settle() {
  for (let i = 0; i < 10; i++) await act(() => new Promise<void>((r) => setImmediate(r)));
}

/** tick lets the deferred close of a released stream happen. */
const tick = () => act(() => new Promise<void>((r) => setTimeout(r, 0)));

let release: (() => void)[] = [];
function connect() {
  const r = connectTaskEvents();
  release.push(r);
  return r;
}

beforeEach(() => {
  installFakes();
  useTaskStore.getState().reset();
});
afterEach(async () => {
  for (const r of release) r();
  release = [];
  if (vi.isFakeTimers()) await vi.runOnlyPendingTimersAsync(); // the deferred close
  vi.useRealTimers();
  await tick();
  expect(useTaskEventsStore.getState().status).toBe('off');
  vi.unstubAllGlobals();
});

describe('the event stream', () => {
  it('is one connection per tab, however many hold it and however many tasks run', async () => {
    server(() => []);
    const a = connect();
    const b = connect();
    expect(FakeEventSource.all.map((e) => e.url)).toEqual(['/api/v1/events']);
    const es = FakeEventSource.user()!;
    es.open();
    for (let i = 0; i < 100; i++) es.emit('task', task({ id: `t${i}`, status: 'pending' }));
    expect(runningCount(useTaskStore.getState())).toBe(100);
    expect(FakeEventSource.all).toHaveLength(1);

    a();
    await tick();
    expect(es.closed).toBe(false);
    b();
    b(); // a second call is harmless
    await tick();
    expect(es.closed).toBe(true);
    expect(useTaskEventsStore.getState().status).toBe('off');
  });

  it('survives StrictMode’s unmount and mount without reconnecting', async () => {
    server(() => []);
    const { unmount } = renderHook(() => useTaskEventStream(), { wrapper: StrictMode });
    await tick();
    expect(FakeEventSource.all).toHaveLength(1);
    expect(FakeEventSource.live()).toHaveLength(1);
    unmount();
    await tick();
    expect(FakeEventSource.live()).toHaveLength(0);
  });

  it('puts task events in the store, forgets deleted tasks, and tells listeners', () => {
    server(() => []);
    connect();
    const es = FakeEventSource.user()!;
    const seen: TaskEvent[] = [];
    const off = onTaskEvent((e) => seen.push(e));
    es.emit('task', task({ id: 'a', status: 'processing', pages_total: 3, pages_done: 1 }));
    expect(useTaskStore.getState().byId.a.pages_done).toBe(1);
    es.emit('task', task({ id: 'a', status: 'processing', pages_total: 3, pages_done: 2 }));
    expect(useTaskStore.getState().byId.a.pages_done).toBe(2);

    es.raw('task', '{not json'); // ignored, not fatal
    es.emit('task', { no: 'id' });
    expect(es.closed).toBe(false);

    useTaskStore.getState().upsert(task({ id: 'a', status: 'processing', pages_done: 2 }), { recent: true });
    es.emit('deleted', { id: 'a' });
    expect(useTaskStore.getState().byId.a).toBeUndefined();
    expect(useTaskStore.getState().recent).toEqual([]);
    expect(seen.map((e) => (e.type === 'task' ? `task ${e.task.id} ${e.task.pages_done}` : `deleted ${e.id}`))).toEqual([
      'task a 1',
      'task a 2',
      'deleted a',
    ]);
    // Only the first word of a task is news.
    expect(seen.map((e) => e.type === 'task' && e.isNew)).toEqual([true, false, false]);
    off();
    es.emit('task', task({ id: 'b' }));
    expect(seen).toHaveLength(3);
  });

  it('keeps what the stream said over an older fetch', () => {
    server(() => []);
    connect();
    const es = FakeEventSource.user()!;
    const since = eventClock(); // a fetch starts…
    es.emit('task', task({ id: 'a', status: 'completed', pages_total: 1, pages_done: 1 })); // …the task ends…
    useTaskStore.getState().upsert(task({ id: 'a', status: 'processing' }), { since }); // …the answer is older
    expect(useTaskStore.getState().byId.a.status).toBe('completed');
    // A fetch that started after the event is believed.
    useTaskStore.getState().upsert(task({ id: 'a', status: 'pending' }), { since: eventClock() });
    expect(useTaskStore.getState().byId.a.status).toBe('pending');

    // A deletion, too, wins over an answer from before it.
    const before = eventClock();
    es.emit('deleted', { id: 'a' });
    useTaskStore.getState().upsert(task({ id: 'a', status: 'processing' }), { since: before });
    expect(useTaskStore.getState().byId.a).toBeUndefined();
  });

  it('asks for a refetch on ready and on reset, and loads the running tasks then', async () => {
    const fetchMock = server(() => [task({ id: 'p', status: 'processing' })]);
    connect();
    const resync = vi.fn();
    renderHook(() => useResync(resync));
    const es = FakeEventSource.user()!;
    expect(resync).not.toHaveBeenCalled(); // not at mount
    es.emit('ready', {});
    await settle();
    expect(useTaskEventsStore.getState().status).toBe('open');
    expect(resync).toHaveBeenCalledTimes(1);
    expect(listCalls(fetchMock)).toBe(2); // pending and processing
    expect(useTaskStore.getState().byId.p.status).toBe('processing');

    es.emit('reset', { reason: 'fell_behind' });
    await settle();
    expect(resync).toHaveBeenCalledTimes(2);
    expect(listCalls(fetchMock)).toBe(4);
  });

  it('lets the browser reconnect a dropped stream by itself', async () => {
    const fetchMock = server(() => []);
    connect();
    const es = FakeEventSource.user()!;
    es.open();
    es.error();
    expect(useTaskEventsStore.getState().status).toBe('connecting');
    expect(es.closed).toBe(false);
    await settle();
    expect(FakeEventSource.all).toHaveLength(1);
    expect(listCalls(fetchMock)).toBe(0);
    es.open();
    expect(useTaskEventsStore.getState().status).toBe('open');
  });

  it('polls while the server refuses the stream, and reopens it later where it left off', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    vi.spyOn(Math, 'random').mockReturnValue(1); // the longest wait of each backoff step
    let tasks = [task({ id: 'x', status: 'processing', pages_total: 2, pages_done: 1 })];
    const fetchMock = server(() => tasks);
    connect();
    const first = FakeEventSource.user()!;
    first.open();
    first.emit('task', tasks[0], '41');
    first.fail(); // e.g. 503 while the server restarts
    expect(first.closed).toBe(true);
    expect(useTaskEventsStore.getState().status).toBe('down');
    await settle();
    expect(listCalls(fetchMock)).toBe(2); // polled at once

    // Reopened after the backoff, asking for what came after event 41.
    expect(FakeEventSource.all).toHaveLength(1);
    await act(() => vi.advanceTimersByTimeAsync(RECONNECT_MS.min));
    const second = FakeEventSource.user()!;
    expect(second.url).toBe('/api/v1/events?last_event_id=41');

    // Until it is open, polling goes on: the task finishing is noticed.
    tasks = [{ ...tasks[0], status: 'completed', pages_done: 2 }];
    await act(() => vi.advanceTimersByTimeAsync(POLL_MS));
    await settle();
    expect(listCalls(fetchMock)).toBe(4);
    expect(useTaskStore.getState().byId.x.status).toBe('completed');

    second.open();
    expect(useTaskEventsStore.getState().status).toBe('open');
    const polled = listCalls(fetchMock);
    await act(() => vi.advanceTimersByTimeAsync(POLL_MS * 3));
    await settle();
    expect(listCalls(fetchMock)).toBe(polled); // no polling while the stream is open

    // Refused again and again: the waits double, up to the cap.
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const es = FakeEventSource.user()!;
      es.fail();
      const n = FakeEventSource.all.length;
      let waited = 0;
      while (FakeEventSource.all.length === n) {
        await act(() => vi.advanceTimersByTimeAsync(250));
        waited += 250;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('polls when the browser has no EventSource', async () => {
    vi.stubGlobal('EventSource', undefined);
    const fetchMock = server(() => []);
    connect();
    await settle();
    expect(useTaskEventsStore.getState().status).toBe('down');
    expect(listCalls(fetchMock)).toBe(2);
  });

  it('stops polling and reconnecting when let go', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const fetchMock = server(() => []);
    const r = connect();
    FakeEventSource.user()!.fail();
    await settle();
    r();
    await act(() => vi.advanceTimersByTimeAsync(0));
    const calls = listCalls(fetchMock);
    await act(() => vi.advanceTimersByTimeAsync(RECONNECT_MS.max * 2));
    await settle();
    expect(listCalls(fetchMock)).toBe(calls);
    expect(FakeEventSource.all).toHaveLength(1);
    expect(useTaskEventsStore.getState().status).toBe('off');
  });
});
