import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, backoff, onUnauthorized, parseRetryAfter, request, shouldRetry, url } from './client';

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

describe('url', () => {
  it.each([
    [{}, '/api/v1/tasks'],
    [{ page: 2, q: '' }, '/api/v1/tasks?page=2'],
    [{ q: 'a b&c', status: undefined }, '/api/v1/tasks?q=a+b%26c'],
  ])('%j → %s', (q, want) => {
    expect(url('/tasks', q)).toBe(want);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    [null, undefined],
    ['7', 7],
    ['-3', 0],
    ['soon', undefined],
  ])('%s → %s', (v, want) => expect(parseRetryAfter(v)).toBe(want));
  it('reads an HTTP date', () => {
    const v = new Date(Date.now() + 10_000).toUTCString();
    const got = parseRetryAfter(v)!;
    expect(got).toBeGreaterThanOrEqual(8);
    expect(got).toBeLessThanOrEqual(11);
  });
});

describe('shouldRetry', () => {
  const net = new ApiError(0, 'network_error', 'x');
  const s503 = new ApiError(503, 'index_rebuilding', 'x');
  const s422 = new ApiError(422, 'invalid_parameter', 'x');
  it.each([
    ['GET', net, true],
    ['GET', s503, true],
    ['DELETE', s503, true],
    ['GET', s422, false],
    ['POST', net, false],
    ['POST', s503, false],
  ])('%s %o → %s', (m, e, want) => expect(shouldRetry(m as string, e as ApiError)).toBe(want));
  it('backs off exponentially and honours a short Retry-After', () => {
    expect(backoff(1)).toBeLessThanOrEqual(250);
    expect(backoff(4)).toBeGreaterThanOrEqual(1000);
    expect(backoff(1, new ApiError(503, 'x', 'x', undefined, 2))).toBe(2000);
  });
});

describe('request', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    document.cookie = 'ocrbox_csrf=tok%2Ben';
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    onUnauthorized(undefined);
    document.cookie = 'ocrbox_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  });

  it('sends JSON with the CSRF header on POST, not on GET', async () => {
    fetchMock.mockResolvedValueOnce(jsonResponse(200, { ok: 1 })).mockResolvedValueOnce(jsonResponse(200, { ok: 2 }));
    await request('/auth/login', { method: 'POST', body: { a: 1 } });
    await request('/tasks');
    const [, post] = fetchMock.mock.calls[0];
    expect(post.headers['X-CSRF-Token']).toBe('tok+en');
    expect(post.headers['Content-Type']).toBe('application/json');
    expect(post.body).toBe('{"a":1}');
    const [, get] = fetchMock.mock.calls[1];
    expect(get.headers['X-CSRF-Token']).toBeUndefined();
  });

  it('turns an error body into an ApiError', async () => {
    fetchMock.mockResolvedValue(
      jsonResponse(429, { error: { code: 'rate_limited', message: 'slow down', request_id: 'r1' } }, { 'Retry-After': '12' }),
    );
    const err = await request('/auth/login', { method: 'POST', body: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limited', message: 'slow down', requestId: 'r1', retryAfter: 12 });
    expect(fetchMock).toHaveBeenCalledTimes(1); // POST: never retried
  });

  it('keeps the status when the body is not JSON', async () => {
    fetchMock.mockResolvedValue(new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    const err = await request('/tasks', { attempts: 1 }).catch((e) => e);
    expect(err).toMatchObject({ status: 502, code: 'http_502', message: 'Bad Gateway' });
  });

  it('retries an idempotent request through an outage', async () => {
    vi.useFakeTimers();
    try {
      fetchMock
        .mockRejectedValueOnce(new TypeError('Failed to fetch'))
        .mockResolvedValueOnce(jsonResponse(503, { error: { code: 'index_rebuilding', message: 'wait' } }))
        .mockResolvedValueOnce(jsonResponse(200, { total: 3 }));
      const p = request<{ total: number }>('/history');
      await vi.runAllTimersAsync();
      await expect(p).resolves.toEqual({ total: 3 });
      expect(fetchMock).toHaveBeenCalledTimes(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives up after the attempts with the last error', async () => {
    vi.useFakeTimers();
    try {
      fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
      const p = request('/tasks').catch((e: ApiError) => e);
      await vi.runAllTimersAsync();
      const err = (await p) as ApiError;
      expect(err).toMatchObject({ status: 0, code: 'network_error' });
      expect(err.isNetwork).toBe(true);
      expect(fetchMock).toHaveBeenCalledTimes(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('calls the unauthorized hook on 401 unless quiet', async () => {
    const hook = vi.fn();
    onUnauthorized(hook);
    fetchMock.mockResolvedValue(jsonResponse(401, { error: { code: 'unauthenticated', message: 'sign in' } }));
    await request('/tasks').catch(() => undefined);
    expect(hook).toHaveBeenCalledTimes(1);
    await request('/auth/me', { quiet401: true }).catch(() => undefined);
    expect(hook).toHaveBeenCalledTimes(1);
  });

  it('returns undefined for 204', async () => {
    fetchMock.mockResolvedValue(new Response(null, { status: 204 }));
    await expect(request('/auth/logout', { method: 'POST' })).resolves.toBeUndefined();
  });
});
