import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useFetch } from './useFetch';

/** deferred is a promise settled by hand, with the signal it was started with. */
interface Call<T> {
  key: string;
  signal: AbortSignal;
  resolve(v: T): void;
  reject(e: unknown): void;
}

/** loader records every call of load and lets the test answer each one. */
function loader<T>() {
  const calls: Call<T>[] = [];
  const make = (key: string) => (signal: AbortSignal) =>
    new Promise<T>((resolve, reject) => {
      calls.push({ key, signal, resolve, reject });
    });
  return { calls, make };
}

describe('useFetch', () => {
  it('loads the key and reports the answer', async () => {
    const l = loader<string>();
    const { result } = renderHook(() => useFetch('a', l.make('a')));
    expect(result.current).toMatchObject({ data: undefined, error: undefined, loading: true });
    expect(l.calls).toHaveLength(1);
    await act(async () => l.calls[0].resolve('A'));
    expect(result.current).toMatchObject({ data: 'A', error: undefined, loading: false });
  });

  it('reports a failure, and a reload clears it while it runs', async () => {
    const l = loader<string>();
    const { result } = renderHook(() => useFetch('a', l.make('a')));
    const boom = new Error('boom');
    await act(async () => l.calls[0].reject(boom));
    expect(result.current).toMatchObject({ data: undefined, error: boom, loading: false });

    act(() => result.current.reload());
    expect(result.current).toMatchObject({ error: undefined, loading: true });
    expect(l.calls).toHaveLength(2);
    await act(async () => l.calls[1].resolve('A'));
    expect(result.current).toMatchObject({ data: 'A', error: undefined, loading: false });
  });

  it('aborts the previous request on a new key, ignores its answer and keeps the last data meanwhile', async () => {
    const l = loader<string>();
    const { result, rerender } = renderHook(({ k }) => useFetch(k, l.make(k)), { initialProps: { k: 'a' } });
    await act(async () => l.calls[0].resolve('A'));

    rerender({ k: 'b' });
    expect(result.current).toMatchObject({ data: 'A', loading: true });
    rerender({ k: 'c' });
    expect(l.calls.map((c) => [c.key, c.signal.aborted])).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
    ]);
    // The aborted request's late answer (or failure) changes nothing.
    await act(async () => l.calls[1].resolve('B'));
    await act(async () => l.calls[1].reject(new Error('late')));
    expect(result.current).toMatchObject({ data: 'A', error: undefined, loading: true });
    await act(async () => l.calls[2].resolve('C'));
    expect(result.current).toMatchObject({ data: 'C', loading: false });
  });

  it('does not refetch for a new render with the same key, and uses the latest load', async () => {
    const l = loader<string>();
    const { result, rerender } = renderHook(({ k, tag }) => useFetch(k, l.make(`${k}${tag}`)), {
      initialProps: { k: 'a', tag: 1 },
    });
    rerender({ k: 'a', tag: 2 });
    expect(l.calls.map((c) => c.key)).toEqual(['a1']);
    await act(async () => l.calls[0].resolve('A'));
    act(() => result.current.reload());
    expect(l.calls.map((c) => c.key)).toEqual(['a1', 'a2']);
  });

  it('loads nothing without a key', async () => {
    const l = loader<string>();
    const { result, rerender } = renderHook(({ k }: { k: string | null }) => useFetch(k, l.make(String(k))), {
      initialProps: { k: null as string | null },
    });
    expect(result.current).toMatchObject({ data: undefined, loading: false });
    expect(l.calls).toHaveLength(0);
    rerender({ k: 'a' });
    expect(result.current.loading).toBe(true);
    rerender({ k: null });
    expect(l.calls[0].signal.aborted).toBe(true);
    expect(result.current).toMatchObject({ loading: false, error: undefined });
  });

  it('aborts on unmount', () => {
    const l = loader<string>();
    const { unmount } = renderHook(() => useFetch('a', l.make('a')));
    unmount();
    expect(l.calls[0].signal.aborted).toBe(true);
  });

  it('catches a load that throws at once', async () => {
    const boom = new Error('sync');
    const { result } = renderHook(() =>
      useFetch<string>('a', () => {
        throw boom;
      }),
    );
    await waitFor(() => expect(result.current.error).toBe(boom));
    expect(result.current.loading).toBe(false);
  });

  it('set replaces the data; reload and set are stable', async () => {
    const l = loader<string>();
    const { result } = renderHook(() => useFetch('a', l.make('a')));
    const { reload, set } = result.current;
    await act(async () => l.calls[0].resolve('A'));
    act(() => result.current.set('A2'));
    expect(result.current.data).toBe('A2');
    expect(result.current.reload).toBe(reload);
    expect(result.current.set).toBe(set);
  });
});
