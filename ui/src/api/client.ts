// The one HTTP client of the app: JSON in and out, the CSRF header for
// cookie sessions, typed errors, and retries for idempotent requests.
import type { ApiErrorBody } from './types';

export const API_BASE = '/api/v1';
const CSRF_COOKIE = 'ocrbox_csrf';
const CSRF_HEADER = 'X-CSRF-Token';

/** ApiError is any failed request: an HTTP error answer or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId?: string;
  /** Seconds to wait before trying again (from Retry-After), when the server said. */
  readonly retryAfter?: number;

  constructor(status: number, code: string, message: string, requestId?: string, retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }

  /** isNetwork: the server could not be reached at all. */
  get isNetwork(): boolean {
    return this.status === 0;
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  /** A JSON body; FormData is sent as is (multipart). */
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
  /** Attempts for idempotent requests (GET/DELETE); default 3. POSTs are never retried. */
  attempts?: number;
  /** Do not call the unauthorized hook on 401 (sign-in, refresh, the first /auth/me). */
  quiet401?: boolean;
}

type Hook = (err: ApiError) => void;
let unauthorizedHook: Hook | undefined;

/**
 * onUnauthorized registers what happens when a request answers 401 (the
 * session ended): the auth store sends the user to sign-in. One hook for the
 * app; it is the only module-level state, set once at start.
 */
export function onUnauthorized(h: Hook | undefined): void {
  unauthorizedHook = h;
}

/** csrfToken reads the double-submit cookie the server set at sign-in. */
export function csrfToken(): string | undefined {
  if (typeof document === 'undefined') return undefined;
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === CSRF_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** url builds an API URL with a query string, leaving out empty values. */
export function url(path: string, query?: Query): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === '') continue;
    qs.set(k, String(v));
  }
  const s = qs.toString();
  return API_BASE + path + (s ? `?${s}` : '');
}

/** headersFor returns the headers every mutating request needs. */
export function headersFor(method: string): Record<string, string> {
  const h: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') {
    const t = csrfToken();
    if (t) h[CSRF_HEADER] = t;
  }
  return h;
}

/** errorFrom turns an error answer into an ApiError, whatever its body. */
export async function errorFrom(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `request failed with status ${res.status}`;
  let requestId = res.headers.get('X-Request-ID') ?? undefined;
  try {
    const body = (await res.json()) as ApiErrorBody;
    if (body?.error) {
      code = body.error.code || code;
      message = body.error.message || message;
      requestId = body.error.request_id || requestId;
    }
  } catch {
    // not JSON (a proxy's error page): keep the status line
  }
  return new ApiError(res.status, code, message, requestId, parseRetryAfter(res.headers.get('Retry-After')));
}

/** parseRetryAfter reads Retry-After as seconds (either form of the header). */
export function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, n);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.ceil((t - Date.now()) / 1000));
}

const RETRYABLE = new Set([502, 503, 504]);

/** shouldRetry: only idempotent requests, only for outages, never for a 4xx. */
export function shouldRetry(method: string, err: ApiError): boolean {
  if (method !== 'GET' && method !== 'DELETE') return false;
  return err.isNetwork || RETRYABLE.has(err.status);
}

/** backoff is the wait before attempt n+1 (n from 1): 250 ms, 500 ms, … with jitter, capped. */
export function backoff(n: number, err?: ApiError): number {
  if (err?.retryAfter !== undefined && err.retryAfter <= 5) return err.retryAfter * 1000;
  const base = Math.min(250 * 2 ** (n - 1), 4000);
  return base / 2 + Math.random() * (base / 2);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });
}

/** raw sends one request and returns the Response of a 2xx answer. */
export async function raw(path: string, opts: RequestOptions = {}): Promise<Response> {
  const method = opts.method ?? 'GET';
  const attempts = method === 'POST' ? 1 : (opts.attempts ?? 3);
  for (let n = 1; ; n++) {
    let err: ApiError;
    try {
      const headers = headersFor(method);
      let body: BodyInit | undefined;
      if (opts.body instanceof FormData) {
        body = opts.body;
      } else if (opts.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(opts.body);
      }
      const res = await fetch(url(path, opts.query), {
        method,
        headers,
        body,
        signal: opts.signal,
        credentials: 'same-origin',
      });
      if (res.ok) return res;
      err = await errorFrom(res);
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      err = new ApiError(0, 'network_error', 'Cannot reach the ocrbox server. Check your connection.');
    }
    if (err.status === 401 && !opts.quiet401) unauthorizedHook?.(err);
    if (n >= attempts || !shouldRetry(method, err)) throw err;
    await sleep(backoff(n, err), opts.signal);
  }
}

/** request sends a request and decodes a JSON answer (undefined for an empty body). */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await raw(path, opts);
  const text = res.status === 204 ? '' : await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** notifyUnauthorized lets requests made outside raw() (the XHR upload) end the session too. */
export function notifyUnauthorized(err: ApiError): void {
  if (err.status === 401) unauthorizedHook?.(err);
}
