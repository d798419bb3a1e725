// Small fakes of the browser's network edges for the upload tests:
// XMLHttpRequest (uploads), EventSource (live task events) and fetch.
import { act } from '@testing-library/react';
import { vi } from 'vitest';
import type { Engine, Task } from '../api/types';

/** FakeXHR records every upload; tests answer them by hand. */
export class FakeXHR {
  static all: FakeXHR[] = [];
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  status = 0;
  responseText = '';
  method = '';
  url = '';
  body?: FormData;
  aborted = false;
  failed = false;
  private resHeaders: Record<string, string> = {};

  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader() {}
  getResponseHeader(name: string) {
    return this.resHeaders[name] ?? null;
  }
  send(body: FormData) {
    this.body = body;
    FakeXHR.all.push(this);
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  /** progress reports loaded/total bytes sent. */
  progress(loaded: number, total: number) {
    act(() => this.upload.onprogress?.({ lengthComputable: true, loaded, total }));
  }
  /** respond answers with a status and a JSON body. */
  async respond(status: number, body: unknown, headers: Record<string, string> = {}) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.resHeaders = headers;
    await act(async () => this.onload?.());
  }
  /** fail is a network error. */
  async fail() {
    this.failed = true;
    await act(async () => this.onerror?.());
  }
  /** pending lists the uploads not answered yet. */
  static pending(): FakeXHR[] {
    return FakeXHR.all.filter((x) => x.status === 0 && !x.aborted && !x.failed);
  }
}

/** FakeEventSource records streams; tests push events into them. */
export class FakeEventSource {
  static all: FakeEventSource[] = [];
  url: string;
  closed = false;
  /** readyState as EventSource's: 0 connecting, 1 open, 2 closed. */
  readyState = 0;
  onopen: ((e: Event) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  private listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  private nextId = 1;

  constructor(url: string) {
    this.url = url;
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  /** open is the connection being established. */
  open() {
    this.readyState = 1;
    act(() => this.onopen?.(new Event('open')));
  }
  /** emit sends an event named type with data as JSON (and an id, counting up unless given). */
  emit(type: string, data: unknown, id = String(this.nextId++)) {
    this.raw(type, JSON.stringify(data), id);
  }
  /** raw sends an event whose data is taken as is. */
  raw(type: string, data: string, id = String(this.nextId++)) {
    act(() => {
      for (const fn of this.listeners.get(type) ?? []) fn(new MessageEvent(type, { data, lastEventId: id }));
    });
  }
  /** error is what EventSource fires when its connection drops (it reconnects by itself). */
  error() {
    this.readyState = 0;
    act(() => this.onerror?.(new Event('error')));
  }
  /** fail is what EventSource fires when the server refuses the stream (it gives up). */
  fail() {
    this.readyState = 2;
    act(() => this.onerror?.(new Event('error')));
  }
  /** live returns the open (not closed) streams. */
  static live(): FakeEventSource[] {
    return FakeEventSource.all.filter((e) => !e.closed);
  }
  /** user returns the live stream of the user's events, if any. */
  static user(): FakeEventSource | undefined {
    return FakeEventSource.live().find((e) => e.url.startsWith('/api/v1/events'));
  }
}

/** json builds a fetch Response with a JSON body. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

/** Route answers one fetch: return undefined to fall through to the next. */
export type Route = (method: string, url: URL) => Response | Promise<Response> | undefined;

/** stubFetch installs a fetch that tries the routes in order (404 when none answers). */
export function stubFetch(...routes: Route[]) {
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const u = new URL(String(input), 'http://localhost');
    const method = init?.method ?? 'GET';
    for (const r of routes) {
      const res = await r(method, u);
      if (res) return res;
    }
    return json({ error: { code: 'not_found', message: `no route for ${method} ${u.pathname}` } }, 404);
  });
  vi.stubGlobal('fetch', fn);
  return fn;
}

/** installFakes puts the fakes in place of XMLHttpRequest and EventSource. */
export function installFakes() {
  FakeXHR.all = [];
  FakeEventSource.all = [];
  vi.stubGlobal('XMLHttpRequest', FakeXHR);
  vi.stubGlobal('EventSource', FakeEventSource);
}

/** ENGINES is a server with tesseract (all outputs) and a text-only engine. */
export const ENGINES: Engine[] = [
  { name: 'plain', version: '1.0', languages: ['fra', 'deu'], outputs: ['txt'] },
  { name: 'tesseract', version: '5.3.0', languages: ['deu', 'eng', 'fra'], outputs: ['txt', 'hocr', 'json', 'pdf'] },
];

/** task builds a task with sensible defaults. */
export function task(p: Partial<Task> & { id: string }): Task {
  return {
    filename: `${p.id}.png`,
    status: 'pending',
    engine: 'tesseract',
    lang: 'eng',
    outputs: ['txt', 'pdf'],
    autorotate: true,
    pdf_output: 'pdfa',
    pdf_text: 'skip', error_code: '', retryable: false, review: null,
    pages_total: 0,
    pages_done: 0,
    attempts: 1,
    error: '',
    input_bytes: 2048,
    created_at: '2025-01-02T10:00:00Z',
    started_at: null,
    completed_at: null,
    duration_ms: 0,
    files: [],
    ...p,
  };
}
