import { describe, expect, it } from 'vitest';
import { hasFilters, isDate, parseHistoryQuery, serializeHistoryQuery, DEFAULTS } from './useHistoryQuery';

const parse = (s: string) => parseHistoryQuery(new URLSearchParams(s));

describe('parseHistoryQuery', () => {
  it.each([
    ['', { ...DEFAULTS }],
    ['status=failed', { ...DEFAULTS, status: 'failed' }],
    ['status=bogus', { ...DEFAULTS }],
    ['status=FAILED', { ...DEFAULTS }],
    ['sort=filename&order=asc', { ...DEFAULTS, sort: 'filename', order: 'asc' }],
    ['sort=size&order=up', { ...DEFAULTS }],
    ['page=3&page_size=50', { ...DEFAULTS, page: 3, page_size: 50 }],
    ['page=0&page_size=0', { ...DEFAULTS }],
    ['page=-2&page_size=abc', { ...DEFAULTS }],
    ['page=2.5&page_size=1e2', { ...DEFAULTS }],
    ['page_size=201', { ...DEFAULTS }],
    ['page_size=200', { ...DEFAULTS, page_size: 200 }],
    ['from=2024-01-31&to=2024-02-29', { ...DEFAULTS, from: '2024-01-31', to: '2024-02-29' }],
    ['from=2023-02-29&to=2024-13-01', { ...DEFAULTS }],
    ['from=31.01.2024&to=yesterday', { ...DEFAULTS }],
    ['q=%20%20invoice%202024%20', { ...DEFAULTS, q: 'invoice 2024' }],
    ['q=%20%20', { ...DEFAULTS }],
    ['task=abc&status=completed', { ...DEFAULTS, status: 'completed' }],
  ])('%s', (qs, want) => {
    expect(parse(qs)).toEqual(want);
  });
});

describe('serializeHistoryQuery', () => {
  it.each([
    [{ ...DEFAULTS }, ''],
    [{}, ''],
    [{ ...DEFAULTS, status: 'failed' as const, q: ' scan ' }, 'status=failed&q=scan'],
    [{ sort: 'filename' as const, order: 'asc' as const, page: 2, page_size: 50 }, 'sort=filename&order=asc&page=2&page_size=50'],
    [{ from: '2024-01-01', to: '2024-01-31', q: '' }, 'from=2024-01-01&to=2024-01-31'],
  ])('%o → %s', (q, want) => {
    expect(serializeHistoryQuery(q).toString()).toBe(want);
  });

  it('keeps parameters it does not own, such as task, and replaces its own', () => {
    const base = new URLSearchParams('task=t1&status=failed&page=4');
    expect(serializeHistoryQuery({ status: 'completed' }, base).toString()).toBe('task=t1&status=completed');
  });

  it('round-trips through parse', () => {
    const q = { from: '2024-05-01', status: 'cancelled' as const, q: 'a b', sort: 'duration' as const, order: 'asc' as const, page: 7, page_size: 10 };
    expect(parse(serializeHistoryQuery(q).toString())).toEqual(q);
  });
});

describe('helpers', () => {
  it('isDate accepts only real days', () => {
    expect(isDate('2024-02-29')).toBe(true);
    expect(isDate('2023-02-29')).toBe(false);
    expect(isDate('2024-2-9')).toBe(false);
  });
  it('hasFilters ignores sort and paging', () => {
    expect(hasFilters({ ...DEFAULTS, page: 3, sort: 'filename' })).toBe(false);
    expect(hasFilters({ q: 'x' })).toBe(true);
    expect(hasFilters({ to: '2024-01-01' })).toBe(true);
  });
});
