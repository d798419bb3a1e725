// The history page keeps its filters, sort and paging in the URL so that a
// view can be bookmarked, shared and restored with Back/Forward. This module
// is the one place that turns the query string into a HistoryQuery and back.
import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { TASK_STATUSES, type HistoryQuery, type SortField, type SortOrder, type TaskStatus } from '../api/types';

/** SORT_FIELDS are the orders GET /history accepts. */
export const SORT_FIELDS: SortField[] = ['created_at', 'filename', 'status', 'duration', 'pages'];
/** PAGE_SIZES are the choices of the "Rows per page" select. */
export const PAGE_SIZES = [10, 20, 50, 100];
/** DEFAULTS are left out of the URL so the plain /history stays clean. */
export const DEFAULTS = { sort: 'created_at' as SortField, order: 'desc' as SortOrder, page: 1, page_size: 20 };
/** MAX_PAGE_SIZE is the server's upper bound for page_size. */
export const MAX_PAGE_SIZE = 200;

/** HistoryView is a HistoryQuery with sort and paging always resolved. */
export interface HistoryView extends HistoryQuery {
  sort: SortField;
  order: SortOrder;
  page: number;
  page_size: number;
}

/** The query keys this module owns; anything else in the URL (e.g. task) is kept. */
const KEYS = ['from', 'to', 'status', 'q', 'sort', 'order', 'page', 'page_size'] as const;
/** Filters select which tasks match; changing one returns to page 1. */
const FILTER_KEYS = ['from', 'to', 'status', 'q'] as const;

/** isDate accepts a real calendar day written YYYY-MM-DD (not 2024-02-30). */
export function isDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** positiveInt reads a whole number ≥ 1 (not "2.5", "1e3" or "-1"), else undefined. */
function positiveInt(s: string | null, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (!s || !/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 1 && n <= max ? n : undefined;
}

/**
 * parseHistoryQuery reads the URL's query. Values the server would refuse
 * (unknown status or sort, impossible dates, bad numbers) are dropped rather
 * than sent, so a mistyped link still shows a page.
 */
export function parseHistoryQuery(sp: URLSearchParams): HistoryView {
  const v: HistoryView = { ...DEFAULTS };
  const from = sp.get('from');
  if (from && isDate(from)) v.from = from;
  const to = sp.get('to');
  if (to && isDate(to)) v.to = to;
  const status = sp.get('status');
  if (status && (TASK_STATUSES as string[]).includes(status)) v.status = status as TaskStatus;
  const q = sp.get('q')?.trim();
  if (q) v.q = q;
  const sort = sp.get('sort');
  if (sort && (SORT_FIELDS as string[]).includes(sort)) v.sort = sort as SortField;
  const order = sp.get('order');
  if (order === 'asc' || order === 'desc') v.order = order;
  v.page = positiveInt(sp.get('page')) ?? DEFAULTS.page;
  v.page_size = positiveInt(sp.get('page_size'), MAX_PAGE_SIZE) ?? DEFAULTS.page_size;
  return v;
}

/**
 * serializeHistoryQuery writes a query into URL parameters, leaving out empty
 * values and defaults. Keys it does not own (such as task) are copied from base.
 */
export function serializeHistoryQuery(q: HistoryQuery, base?: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  base?.forEach((val, key) => {
    if (!(KEYS as readonly string[]).includes(key)) out.append(key, val);
  });
  const set = (k: string, val: string | number | undefined, def?: string | number) => {
    if (val === undefined || val === '' || val === def) return;
    out.set(k, String(val));
  };
  set('from', q.from);
  set('to', q.to);
  set('status', q.status);
  set('q', q.q?.trim());
  set('sort', q.sort, DEFAULTS.sort);
  set('order', q.order, DEFAULTS.order);
  set('page', q.page, DEFAULTS.page);
  set('page_size', q.page_size, DEFAULTS.page_size);
  return out;
}

/** hasFilters reports whether any filter (not sort or paging) is set. */
export function hasFilters(q: HistoryQuery): boolean {
  return FILTER_KEYS.some((k) => !!q[k]);
}

/** queryKey is a stable identity of everything that changes GET /history's answer. */
export function queryKey(q: HistoryView): string {
  return serializeHistoryQuery(q).toString();
}

/** HistoryQueryState is what useHistoryQuery offers the page. */
export interface HistoryQueryState {
  query: HistoryView;
  /** update merges a change into the URL; filter or page-size changes go back to page 1. */
  update(patch: Partial<HistoryQuery>): void;
  /** clearFilters removes from, to, status and q (sort and page size stay). */
  clearFilters(): void;
  /** taskId is the task whose details are open (?task=ID), if any. */
  taskId: string | null;
  openTask(id: string): void;
  closeTask(): void;
}

/** useHistoryQuery binds the history view to the URL's query string. */
export function useHistoryQuery(): HistoryQueryState {
  const [params, setParams] = useSearchParams();
  // Keyed on the owned parameters only: opening a task (?task=ID) must not
  // produce a new query object, or the list would reload behind the dialog.
  const key = queryKey(parseHistoryQuery(params));
  const query = useMemo(() => parseHistoryQuery(new URLSearchParams(key)), [key]);
  const taskId = params.get('task');

  const update = useCallback(
    (patch: Partial<HistoryQuery>) => {
      setParams((prev) => {
        const cur = parseHistoryQuery(prev);
        const next: HistoryQuery = { ...cur, ...patch };
        const resets = ([...FILTER_KEYS, 'page_size', 'sort', 'order'] as const).some(
          (k) => k in patch && patch[k] !== cur[k],
        );
        if (resets && !('page' in patch)) next.page = 1;
        return serializeHistoryQuery(next, prev);
      });
    },
    [setParams],
  );

  const clearFilters = useCallback(
    () => update({ from: undefined, to: undefined, status: undefined, q: undefined }),
    [update],
  );

  const openTask = useCallback(
    (id: string) =>
      setParams((prev) => {
        const next = new URLSearchParams(prev);
        next.set('task', id);
        return next;
      }),
    [setParams],
  );

  const closeTask = useCallback(
    () =>
      setParams((prev) => {
        const next = new URLSearchParams(prev);
        next.delete('task');
        return next;
      }),
    [setParams],
  );

  return { query, update, clearFilters, taskId, openTask, closeTask };
}
