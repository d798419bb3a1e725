import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Task } from '../api/types';
import { runningCount, useTaskStore } from './taskStore';

function task(id: string, status: Task['status']): Task {
  return {
    id, filename: `${id}.png`, status, engine: 'tesseract', lang: 'eng', outputs: ['txt'], autorotate: true, pdf_output: 'pdfa', pdf_text: 'skip', error_code: '', retryable: false, review: null,
    pages_total: 1, pages_done: 0,
    attempts: 0, error: '', input_bytes: 10, created_at: '2026-01-01T00:00:00Z', started_at: null, completed_at: null,
    duration_ms: 0, files: [],
  };
}

function page(items: Task[]) {
  return new Response(JSON.stringify({ items, total: items.length, page: 1, page_size: 200 }), {
    status: 200, headers: { 'Content-Type': 'application/json' },
  });
}

function one(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

describe('taskStore', () => {
  afterEach(() => {
    useTaskStore.getState().reset();
    vi.unstubAllGlobals();
  });

  it('counts running tasks and keeps the recent list', () => {
    const s = useTaskStore.getState();
    s.upsert(task('a', 'pending'), { recent: true });
    s.upsert(task('b', 'processing'), { recent: true });
    s.upsert(task('c', 'completed'));
    expect(runningCount(useTaskStore.getState())).toBe(2);
    expect(useTaskStore.getState().recent).toEqual(['b', 'a']);
    s.upsert(task('a', 'completed'), { recent: true });
    expect(runningCount(useTaskStore.getState())).toBe(1);
    expect(useTaskStore.getState().recent).toEqual(['b', 'a']);
    s.forget(['a']);
    expect(useTaskStore.getState().recent).toEqual(['b']);
    expect(useTaskStore.getState().byId.a).toBeDefined();
    s.remove('b');
    expect(useTaskStore.getState().byId.b).toBeUndefined();
    expect(useTaskStore.getState().recent).toEqual([]);
  });

  it('loadRunning asks again for running tasks that finished (or went) unwatched', async () => {
    const s = useTaskStore.getState();
    s.upsert(task('old', 'processing'));
    s.upsert(task('gone', 'pending'));
    s.upsert(task('done', 'completed'));
    const fetchMock = vi.fn((input: string) => {
      if (input.includes('status=pending')) return Promise.resolve(page([task('new', 'pending')]));
      if (input.includes('status=processing')) return Promise.resolve(page([]));
      if (input.endsWith('/tasks/old')) return Promise.resolve(one(task('old', 'completed')));
      return Promise.resolve(one({ error: { code: 'not_found', message: 'no such task' } }, 404));
    });
    vi.stubGlobal('fetch', fetchMock);
    await s.loadRunning();
    const byId = useTaskStore.getState().byId;
    expect(Object.keys(byId).sort()).toEqual(['done', 'new', 'old']);
    expect(byId.old.status).toBe('completed');
    expect(runningCount(useTaskStore.getState())).toBe(1);
    expect(fetchMock.mock.calls.map(([u]) => u).filter((u) => !u.includes('?')).sort()).toEqual([
      '/api/v1/tasks/gone',
      '/api/v1/tasks/old',
    ]);
  });

  it('loadRunning does not take a truncated list for the whole', async () => {
    const s = useTaskStore.getState();
    s.upsert(task('maybe', 'pending'));
    const fetchMock = vi.fn((input: string) =>
      Promise.resolve(
        input.includes('status=pending')
          ? one({ items: [task('new', 'pending')], total: 500, page: 1, page_size: 200 })
          : page([]),
      ),
    );
    vi.stubGlobal('fetch', fetchMock);
    await s.loadRunning();
    expect(Object.keys(useTaskStore.getState().byId).sort()).toEqual(['maybe', 'new']);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });
});
