import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Task } from '../api/types';
import { runningCount, useTaskStore } from './taskStore';

function task(id: string, status: Task['status']): Task {
  return {
    id, filename: `${id}.png`, status, engine: 'tesseract', lang: 'eng', outputs: ['txt'], pages_total: 1, pages_done: 0,
    attempts: 0, error: '', input_bytes: 10, created_at: '2026-01-01T00:00:00Z', started_at: null, completed_at: null,
    duration_ms: 0, files: [],
  };
}

function page(items: Task[]) {
  return new Response(JSON.stringify({ items, total: items.length, page: 1, page_size: 200 }), {
    status: 200, headers: { 'Content-Type': 'application/json' },
  });
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

  it('loadRunning replaces running tasks that finished unwatched', async () => {
    const s = useTaskStore.getState();
    s.upsert(task('old', 'processing'));
    s.upsert(task('done', 'completed'));
    const fetchMock = vi.fn((input: string) =>
      Promise.resolve(input.includes('status=pending') ? page([task('new', 'pending')]) : page([])),
    );
    vi.stubGlobal('fetch', fetchMock);
    await s.loadRunning();
    const byId = useTaskStore.getState().byId;
    expect(Object.keys(byId).sort()).toEqual(['done', 'new']);
    expect(runningCount(useTaskStore.getState())).toBe(1);
  });
});
