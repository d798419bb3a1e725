import { renderHook, waitFor } from '@testing-library/react';
import { act, StrictMode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useTaskStore } from '../stores/taskStore';
import { FakeEventSource, installFakes, json, stubFetch, task } from './testFakes';
import { useTaskEvents } from './useTaskEvents';

beforeEach(() => {
  installFakes();
  useTaskStore.getState().reset();
});
afterEach(() => vi.unstubAllGlobals());

const gets = (fetchMock: ReturnType<typeof stubFetch>, id: string) =>
  fetchMock.mock.calls.filter(([u]) => String(u) === `/api/v1/tasks/${id}`).length;

describe('useTaskEvents', () => {
  it('opens one stream per id, follows ids joining and leaving, and closes all on unmount', () => {
    stubFetch();
    const { rerender, unmount } = renderHook(({ ids }) => useTaskEvents(ids), { initialProps: { ids: ['a', 'b', 'a'] } });
    expect(FakeEventSource.all.map((e) => e.url)).toEqual(['/api/v1/tasks/a/events', '/api/v1/tasks/b/events']);

    rerender({ ids: ['b', 'c'] });
    const [a, b] = FakeEventSource.all;
    expect(a.closed).toBe(true);
    expect(b.closed).toBe(false);
    // b stays connected rather than reconnecting.
    expect(FakeEventSource.all).toHaveLength(3);

    unmount();
    expect(FakeEventSource.all.every((e) => e.closed)).toBe(true);
  });

  it('ends with one open stream per task under StrictMode', () => {
    stubFetch();
    renderHook(() => useTaskEvents(['s']), { wrapper: StrictMode });
    expect(FakeEventSource.all.filter((e) => !e.closed)).toHaveLength(1);
  });

  it('puts each event in the store and stops at a final state', () => {
    stubFetch();
    const onUpdate = vi.fn();
    renderHook(() => useTaskEvents(['t'], { onUpdate }));
    const es = FakeEventSource.forTask('t')!;
    es.emit('task', task({ id: 't', status: 'processing', pages_total: 2, pages_done: 1 }));
    expect(useTaskStore.getState().byId.t.pages_done).toBe(1);
    expect(es.closed).toBe(false);

    // A garbled event is ignored, not fatal.
    act(() => {
      for (const fn of (es as unknown as { listeners: Map<string, ((e: MessageEvent) => void)[]> }).listeners.get('task')!)
        fn(new MessageEvent('task', { data: '{not json' }));
    });
    expect(es.closed).toBe(false);

    es.emit('task', task({ id: 't', status: 'cancelled' }));
    expect(useTaskStore.getState().byId.t.status).toBe('cancelled');
    expect(es.closed).toBe(true);
    expect(onUpdate).toHaveBeenCalledTimes(2);
  });

  it('falls back to polling when the stream fails, until the task is done', async () => {
    let n = 0;
    const fetchMock = stubFetch((_m, u) => {
      if (u.pathname !== '/api/v1/tasks/p') return undefined;
      n++;
      return json(task({ id: 'p', status: n < 3 ? 'processing' : 'completed', pages_total: 3, pages_done: n }));
    });
    renderHook(() => useTaskEvents(['p'], { pollMs: 10 }));
    const es = FakeEventSource.forTask('p')!;
    es.error();
    expect(es.closed).toBe(true);

    await waitFor(() => expect(useTaskStore.getState().byId.p?.status).toBe('completed'));
    expect(gets(fetchMock, 'p')).toBe(3);
    // Done: no more polling.
    await new Promise((r) => setTimeout(r, 50));
    expect(gets(fetchMock, 'p')).toBe(3);
    // And no new stream either.
    expect(FakeEventSource.all).toHaveLength(1);
  });

  it('keeps polling through outages but stops for good on 404', async () => {
    let n = 0;
    const onGone = vi.fn();
    const fetchMock = stubFetch((_m, u) => {
      if (u.pathname !== '/api/v1/tasks/g') return undefined;
      n++;
      // First an outage (the client's own retries included), then the task is gone.
      return n <= 3
        ? json({ error: { code: 'unavailable', message: 'restarting' } }, 503, { 'Retry-After': '0' })
        : json({ error: { code: 'not_found', message: 'task not found' } }, 404);
    });
    renderHook(() => useTaskEvents(['g'], { pollMs: 10, onGone }));
    FakeEventSource.forTask('g')!.error();

    await waitFor(() => expect(onGone).toHaveBeenCalledTimes(1));
    expect(onGone.mock.calls[0][0]).toBe('g');
    expect(onGone.mock.calls[0][1].status).toBe(404);
    await new Promise((r) => setTimeout(r, 50));
    expect(gets(fetchMock, 'g')).toBe(4);
  });

  it('stops polling on unmount', async () => {
    const fetchMock = stubFetch((_m, u) => (u.pathname === '/api/v1/tasks/u' ? json(task({ id: 'u', status: 'processing' })) : undefined));
    const { unmount } = renderHook(() => useTaskEvents(['u'], { pollMs: 10 }));
    FakeEventSource.forTask('u')!.error();
    await waitFor(() => expect(gets(fetchMock, 'u')).toBeGreaterThan(0));
    unmount();
    const after = gets(fetchMock, 'u');
    await new Promise((r) => setTimeout(r, 50));
    expect(gets(fetchMock, 'u')).toBe(after);
  });
});
