import { useId } from 'react';
import { PAGE_SIZES } from './useHistoryQuery';

/** PaginationProps: where the view is and how to move. */
export interface PaginationProps {
  page: number;
  pageSize: number;
  total: number;
  disabled?: boolean;
  onPage(page: number): void;
  onPageSize(size: number): void;
}

/** pageCount is the number of pages (at least 1, so "Page 1 of 1" for an empty list). */
export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, pageSize)));
}

/**
 * pageItems are the numbered buttons: the first and last page, the current
 * one with a neighbour on each side, and "…" for the gaps (a gap of one
 * page shows that page instead): 1 … 4 5 6 … 9.
 */
export function pageItems(current: number, pages: number): (number | '…')[] {
  const want = new Set([1, pages, current - 1, current, current + 1].filter((p) => p >= 1 && p <= pages));
  const sorted = [...want].sort((a, b) => a - b);
  const out: (number | '…')[] = [];
  for (const p of sorted) {
    const prev = out[out.length - 1];
    if (typeof prev === 'number' && p - prev === 2) out.push(prev + 1);
    else if (typeof prev === 'number' && p - prev > 2) out.push('…');
    out.push(p);
  }
  return out;
}

/** Pagination moves between pages (Previous, numbers, Next) and chooses the page size. */
export function Pagination({ page, pageSize, total, disabled, onPage, onPageSize }: PaginationProps) {
  const id = useId();
  const pages = pageCount(total, pageSize);
  // A hand-written page_size (e.g. 37) stays selectable rather than silently changing.
  const sizes = PAGE_SIZES.includes(pageSize) ? PAGE_SIZES : [...PAGE_SIZES, pageSize].sort((a, b) => a - b);
  return (
    <nav className="history-pagination" aria-label="Pagination">
      <div className="row">
        <label htmlFor={id}>Rows per page</label>
        <select id={id} value={pageSize} disabled={disabled} onChange={(e) => onPageSize(Number(e.target.value))}>
          {sizes.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </div>
      <span className="spacer" />
      <div className="row">
        <button type="button" className="btn btn-small" disabled={disabled || page <= 1} onClick={() => onPage(Math.min(page - 1, pages))}>
          <span aria-hidden="true">‹ </span>Previous page
        </button>
        <span className="history-page-indicator visually-hidden" aria-live="polite">
          {`Page ${Math.min(page, pages)} of ${pages}`}
        </span>
        <ol className="history-page-numbers">
          {pageItems(Math.min(page, pages), pages).map((p, i) =>
            p === '…' ? (
              <li key={`gap-${i}`} className="history-page-gap" aria-hidden="true">
                …
              </li>
            ) : (
              <li key={p}>
                <button
                  type="button"
                  className={`btn btn-small history-page-number${p === page ? ' is-current' : ''}`}
                  aria-label={`Page ${p}`}
                  aria-current={p === page ? 'page' : undefined}
                  disabled={disabled}
                  onClick={() => p !== page && onPage(p)}
                >
                  {p}
                </button>
              </li>
            ),
          )}
        </ol>
        <button type="button" className="btn btn-small" disabled={disabled || page >= pages} onClick={() => onPage(page + 1)}>
          Next page<span aria-hidden="true"> ›</span>
        </button>
      </div>
    </nav>
  );
}
