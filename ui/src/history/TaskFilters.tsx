import { useEffect, useId, useState, type FormEvent } from 'react';
import { TASK_STATUSES, type HistoryQuery, type TaskStatus } from '../api/types';
import { statusLabel } from '../components/StatusBadge';
import { hasFilters, type HistoryView } from './useHistoryQuery';

/** SEARCH_DEBOUNCE_MS: typing pauses this long before the search runs. */
export const SEARCH_DEBOUNCE_MS = 300;

/** TaskFiltersProps: the current view and how to change it. */
export interface TaskFiltersProps {
  query: HistoryView;
  update(patch: Partial<HistoryQuery>): void;
  clearFilters(): void;
  /** total is the number of matching tasks, once known. */
  total?: number;
  /** serverError is the server's reason for refusing the filters (422). */
  serverError?: string;
}

/** dateRangeError explains a from/to pair the server would refuse. */
export function dateRangeError(from: string, to: string): string | undefined {
  return from && to && from > to ? '“From” must be on or before “To”.' : undefined;
}

/**
 * TaskFilters edits the date range, status and search text. Dates and status
 * apply at once; the search waits for a pause in typing so every keystroke
 * does not cost a request (Enter searches at once).
 */
export function TaskFilters({ query, update, clearFilters, total, serverError }: TaskFiltersProps) {
  const ids = { from: useId(), to: useId(), status: useId(), q: useId(), err: useId() };

  // Dates are local state so that an invalid range can be shown with its
  // message without being sent; the URL stays the last valid range.
  const [dates, setDates] = useState({ from: query.from ?? '', to: query.to ?? '' });
  // The URL's range changed (Back, Clear filters, a valid edit): show it.
  const [urlRange, setUrlRange] = useState({ from: query.from, to: query.to });
  if (urlRange.from !== query.from || urlRange.to !== query.to) {
    setUrlRange({ from: query.from, to: query.to });
    setDates({ from: query.from ?? '', to: query.to ?? '' });
  }
  const rangeError = dateRangeError(dates.from, dates.to);
  const onDate = (which: 'from' | 'to', value: string) => {
    const next = { ...dates, [which]: value };
    setDates(next);
    if (dateRangeError(next.from, next.to)) return;
    update({ from: next.from || undefined, to: next.to || undefined });
  };

  const [text, setText] = useState(query.q ?? '');
  const urlQ = query.q ?? '';
  // Follow the URL when it changes from elsewhere (Back, Clear filters), but
  // not when it merely caught up with what is typed (it is trimmed there).
  const [seenQ, setSeenQ] = useState(urlQ);
  if (seenQ !== urlQ) {
    setSeenQ(urlQ);
    if (text.trim() !== urlQ) setText(urlQ);
  }
  useEffect(() => {
    const want = text.trim();
    if (want === urlQ) return;
    const h = setTimeout(() => update({ q: want || undefined }), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(h);
  }, [text, urlQ, update]);
  const searchNow = (e: FormEvent) => {
    e.preventDefault();
    const want = text.trim();
    if (want !== urlQ) update({ q: want || undefined });
  };

  const anything = hasFilters(query) || !!text.trim() || !!dates.from || !!dates.to;
  const active = [query.from || query.to, query.status, query.q].filter(Boolean).length;
  // On phones the filters fold away behind a "Filters" button (history.css);
  // they start open when some are set, so what narrows the list shows.
  const [open, setOpen] = useState(active > 0);
  const formId = useId();
  const clear = () => {
    setDates({ from: '', to: '' });
    setText('');
    clearFilters();
  };

  return (
    <section className={`history-filters card${open ? '' : ' is-collapsed'}`} aria-label="Filters">
      <button
        type="button"
        className="btn btn-small filters-toggle"
        aria-expanded={open}
        aria-controls={formId}
        onClick={() => setOpen((o) => !o)}
      >
        Filters{active > 0 ? ` (${active})` : ''}
        <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" className={open ? 'is-open' : undefined}>
          <path d="m6 9 6 6 6-6" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      </button>
      <form id={formId} className="filters-grid" role="search" onSubmit={searchNow}>
        <div className="field">
          <label htmlFor={ids.from}>From</label>
          <input
            id={ids.from}
            type="date"
            value={dates.from}
            max={dates.to || undefined}
            onChange={(e) => onDate('from', e.target.value)}
            aria-invalid={rangeError ? true : undefined}
            aria-describedby={rangeError ? ids.err : undefined}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.to}>To</label>
          <input
            id={ids.to}
            type="date"
            value={dates.to}
            min={dates.from || undefined}
            onChange={(e) => onDate('to', e.target.value)}
            aria-invalid={rangeError ? true : undefined}
            aria-describedby={rangeError ? ids.err : undefined}
          />
        </div>
        <div className="field filters-status">
          <label htmlFor={ids.status}>Status</label>
          <select
            id={ids.status}
            value={query.status ?? ''}
            onChange={(e) => update({ status: (e.target.value || undefined) as TaskStatus | undefined })}
          >
            <option value="">All statuses</option>
            {TASK_STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </div>
        <div className="field filters-search">
          <label htmlFor={ids.q}>Search</label>
          <input
            id={ids.q}
            type="search"
            value={text}
            placeholder="Filename or text…"
            autoComplete="off"
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <div className="filters-actions">
          <button type="button" className="btn" onClick={clear} disabled={!anything}>
            Clear filters
          </button>
        </div>
      </form>
      {rangeError && (
        <p id={ids.err} className="history-error" role="alert">
          {rangeError}
        </p>
      )}
      {serverError && (
        <p className="history-error" role="alert">
          {serverError}
        </p>
      )}
      <p className="muted filters-total" aria-live="polite">
        {total === undefined ? '\u00a0' : total === 1 ? '1 task' : `${total.toLocaleString()} tasks`}
      </p>
    </section>
  );
}
