// Test helper (imported by tests only): a fake of the server at the fetch
// edge, so components run through the real API client.
import { vi } from 'vitest';
import type { User } from '../api/types';

/** FakeCall is one request the code under test made. */
export interface FakeCall {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

/** FakeHandler answers a request: a Response, or a value sent as JSON 200; throwing is a network failure. */
export type FakeHandler = (call: FakeCall) => Response | unknown | Promise<Response | unknown>;

/** json builds a JSON response with optional headers. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

/** apiError builds the server's error answer. */
export function apiError(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return json(status, { error: { code, message, request_id: 'req-1' } }, headers);
}

/**
 * fakeApi stubs global fetch with routes keyed "METHOD /path" (the path
 * after /api/v1, without the query). Unknown routes answer 404 not_found.
 * It returns the list of calls made, for assertions.
 */
export function fakeApi(routes: Record<string, FakeHandler>): FakeCall[] {
  const calls: FakeCall[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const u = new URL(String(input), 'http://localhost');
      const method = (init?.method ?? 'GET').toUpperCase();
      const path = u.pathname.replace(/^\/api\/v1/, '');
      let body: unknown;
      if (typeof init?.body === 'string') body = JSON.parse(init.body);
      const call = { method, path, query: u.searchParams, body };
      calls.push(call);
      const h = routes[`${method} ${path}`];
      if (!h) return apiError(404, 'not_found', 'not found');
      const out = await h(call);
      return out instanceof Response ? out : json(200, out);
    }),
  );
  return calls;
}

/** sampleUser is a signed-in user for tests. */
export const sampleUser: User = {
  id: 'u1',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  provider: 'local',
  created_at: '2024-01-01T00:00:00Z',
  updated_at: '2024-01-01T00:00:00Z',
  last_login: '2024-01-01T00:00:00Z',
};
