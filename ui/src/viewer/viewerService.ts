// What the viewer loads besides the task: its result pages and the places
// where a history search matched.
import { request } from '../api/client';
import { taskService } from '../api/taskService';
import type { Task } from '../api/types';
import { pagesFromText, parseResult, type Matches, type ResultPage } from './model';

/** resultFile is the output the viewer reads: the JSON (words and boxes), else the text. */
export function resultFile(task: Task) {
  return task.files.find((f) => f.kind === 'json') ?? task.files.find((f) => f.kind === 'txt');
}

/** loadResult fetches and reads the task's result pages; undefined when it has none yet. */
export async function loadResult(task: Task, signal?: AbortSignal): Promise<ResultPage[] | undefined> {
  const f = resultFile(task);
  if (!f) return undefined;
  const text = await taskService.fileText(task.id, f.id, signal);
  return f.kind === 'json' ? parseResult(text) : pagesFromText(text, task.pages_total);
}

/** loadMatches asks where q matched in the task's pages (GET /tasks/{id}/matches). */
export function loadMatches(taskId: string, q: string, signal?: AbortSignal): Promise<Matches> {
  return request<Matches>(`/tasks/${encodeURIComponent(taskId)}/matches`, { query: { q }, signal });
}
