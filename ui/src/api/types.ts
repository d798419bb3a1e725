// Shapes of the ocrbox REST API. They come from the server's own
// description, core/httpapi/openapi.json (served at /api/v1/openapi.json):
// `npm run gen:api` writes openapi.gen.ts from it and scripts/test-ui fails
// when that file is stale, so these names cannot drift from the server.
// This file only names the generated schemas for the app and adds the few
// helpers and UI-only types (sorting choices, status lists).
import type { components, operations } from './openapi.gen';

type Schemas = components['schemas'];

export type TaskStatus = Schemas['TaskStatus'];
export type FileKind = Schemas['FileKind'];
export type OutputKind = Schemas['OutputKind'];

export const TASK_STATUSES: TaskStatus[] = ['pending', 'processing', 'completed', 'failed', 'cancelled'];
export const OUTPUT_KINDS: OutputKind[] = ['txt', 'hocr', 'json', 'pdf'];

/** isRunning reports whether a task can still change (not terminal). */
export function isRunning(s: TaskStatus): boolean {
  return s === 'pending' || s === 'processing';
}

export type User = Schemas['User'];
/** SessionInfo tells the client when its cookie session ends. */
export type SessionInfo = Schemas['SessionInfo'];
export type MeResponse = Schemas['Me'];
/** LoginResponse is a new session (sign-in and refresh). */
export type LoginResponse = Schemas['Tokens'];
export type ProvidersResponse = Schemas['Providers'];
export type BrowserProvider = NonNullable<ProvidersResponse['browser']>[number];
export type Engine = Schemas['Engine'];
export type TaskFile = Schemas['TaskFile'];
export type Task = Schemas['Task'];
export type TaskPage = Schemas['TaskPage'];
export type Stats = Schemas['Stats'];
export type ApiErrorBody = Schemas['Error'];
/** UploadResponse is POST /tasks's answer: the queued tasks in the order of the files. */
export type UploadResponse = operations['createTasks']['responses'][202]['content']['application/json'];
/** LogoutResponse is POST /auth/logout's 200 (a 204 has no body). */
export type LogoutResponse = operations['logout']['responses'][200]['content']['application/json'];

/** Page is one page of a list answer (GET /tasks, GET /history). */
export type Page<T> = Omit<TaskPage, 'items'> & { items: T[] };

type HistoryParams = NonNullable<operations['searchHistory']['parameters']['query']>;
export type SortField = NonNullable<HistoryParams['sort']>;
export type SortOrder = NonNullable<HistoryParams['order']>;

/**
 * HistoryQuery is GET /history's filter, sort and paging (all optional).
 * from and to are YYYY-MM-DD or RFC 3339: the schema says so with an anyOf
 * of formats, which openapi-typescript turns into `unknown`, so they are
 * named here.
 */
export type HistoryQuery = Omit<HistoryParams, 'from' | 'to'> & { from?: string; to?: string };
