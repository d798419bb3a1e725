// Test helpers for the history components: task fixtures, a fetch stub that
// routes by method and path, and rendering at a URL with the location shown.
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { vi } from 'vitest';
import type { Page, Task } from '../api/types';

/** makeTask builds a completed task with sensible values, overridden by over. */
export function makeTask(over: Partial<Task> = {}): Task {
  return {
    id: 't1',
    filename: 'scan.pdf',
    status: 'completed',
    engine: 'tesseract',
    lang: 'eng',
    outputs: ['txt'],
    autorotate: true,
    pdf_output: 'pdfa',
    pdf_text: 'skip', error_code: '', retryable: false, review: null,
    pages_total: 2,
    pages_done: 2,
    attempts: 1,
    error: '',
    input_bytes: 2048,
    created_at: '2024-05-01T10:00:00Z',
    started_at: '2024-05-01T10:00:01Z',
    completed_at: '2024-05-01T10:00:05Z',
    duration_ms: 4000,
    files: [],
    ...over,
  };
}

/** page wraps items as a GET /history answer. */
export function page(items: Task[], total = items.length, p = 1, size = 20): Page<Task> {
  return { items, total, page: p, page_size: size };
}

/** json is a JSON Response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

/** apiError is an error answer in the server's shape; Retry-After 0 keeps client retries instant. */
export function apiError(status: number, code: string, message: string): Response {
  return json({ error: { code, message, request_id: 'req-1' } }, status, { 'Retry-After': '0' });
}

/** Call is one request the stub saw. */
export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body?: unknown;
}

/** Handler answers one request; undefined falls through to a 404. */
export type Handler = (c: Call) => Response | Promise<Response> | undefined;

/** matches: "GET /tasks/:id" matches "GET /tasks/t1". */
function matches(pattern: string, key: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')}$`);
  return re.test(key);
}

/**
 * stubFetch replaces fetch with routes keyed "METHOD /path" (after /api/v1).
 * It returns the list of calls so tests can assert what was sent.
 */
export function stubFetch(routes: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const u = new URL(String(input), 'http://localhost');
      const signal = init?.signal;
      if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
      const path = u.pathname.replace(/^\/api\/v1/, '');
      const method = init?.method ?? 'GET';
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
      const call = { method, path, query: u.searchParams, body };
      calls.push(call);
      const key = `${method} ${path}`;
      const route = routes[key] ?? Object.entries(routes).find(([p]) => matches(p, key))?.[1];
      const res = route?.(call);
      return (await res) ?? apiError(404, 'not_found', `no route for ${key}`);
    }),
  );
  return calls;
}

function LocationProbe() {
  const loc = useLocation();
  return <output data-testid="location">{loc.pathname + loc.search}</output>;
}

/** renderAt renders ui at the given /history URL inside a router. */
export function renderAt(url: string, ui: ReactElement) {
  return render(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route
          path="/history"
          element={
            <>
              {ui}
              <LocationProbe />
            </>
          }
        />
        <Route path="/" element={<p>Upload page</p>} />
      </Routes>
    </MemoryRouter>,
  );
}

/** currentSearch is the rendered location's query string as parameters. */
export function currentSearch(): URLSearchParams {
  const text = document.querySelector('[data-testid="location"]')?.textContent ?? '';
  return new URLSearchParams(text.split('?')[1] ?? '');
}
