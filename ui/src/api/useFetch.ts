// The one way a component loads something from the API: a request per key,
// the previous one aborted when the key changes or the component goes, an
// aborted request's outcome ignored, and a reload for Retry buttons.
import { useCallback, useEffect, useEffectEvent, useState } from 'react';

/** Fetched is what useFetch reports about the current key. */
export interface Fetched<T> {
  /**
   * data is the latest answer: kept while a newer request (another key, a
   * reload) runs and after one fails, so a list can stay on screen, dimmed.
   */
  data: T | undefined;
  /** error is why the current request failed; undefined while it runs and after it succeeded. */
  error: unknown;
  /** loading: the current request has not answered yet (false without a key). */
  loading: boolean;
  /** reload asks again for the same key (a Retry button, a resync). Stable. */
  reload(): void;
  /** set replaces data, e.g. with the version an action returned. Stable. */
  set(data: T): void;
}

interface State<T> {
  /** request is the key and attempt the state is about (null: no key). */
  request: string | null;
  data: T | undefined;
  error: unknown;
  loading: boolean;
}

/**
 * useFetch runs load(signal) for key, and again whenever key changes or
 * reload is called; null means nothing to load. load always sees the
 * latest props (it need not be memoised) but only a new key or a reload
 * starts a request: the key names everything load depends on.
 */
export function useFetch<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>): Fetched<T> {
  const [attempt, setAttempt] = useState(0);
  const request = key === null ? null : `${attempt}\u0000${key}`;
  const [state, setState] = useState<State<T>>({ request, data: undefined, error: undefined, loading: request !== null });
  // A new key or a reload: the error of the last request no longer applies.
  // (Adjusted during render, so no frame shows the old request's outcome.)
  if (state.request !== request) {
    setState({ request, data: state.data, error: undefined, loading: request !== null });
  }

  const start = useEffectEvent((signal: AbortSignal) => load(signal));
  useEffect(() => {
    if (request === null) return;
    const ac = new AbortController();
    new Promise<T>((resolve) => resolve(start(ac.signal))).then(
      (data) => {
        if (!ac.signal.aborted) setState((s) => (s.request === request ? { request, data, error: undefined, loading: false } : s));
      },
      (error: unknown) => {
        if (!ac.signal.aborted) setState((s) => (s.request === request ? { ...s, error, loading: false } : s));
      },
    );
    return () => ac.abort();
  }, [request]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  const set = useCallback((data: T) => setState((s) => ({ ...s, data })), []);
  return { data: state.data, error: state.error, loading: state.loading, reload, set };
}
