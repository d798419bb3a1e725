import { memo, useEffect, useRef, useState, type RefObject } from 'react';
import { pageImageURL, THUMB_WIDTH, type ResultPage } from './model';

/** ThumbnailsProps: how many pages, which one is shown, and what to mark. */
export interface ThumbnailsProps {
  taskId: string;
  count: number;
  current: number;
  /** pages give the thumbnails their shape before the images arrive. */
  pages?: ResultPage[];
  /** review are the pages the server says to check. */
  review: ReadonlySet<number>;
  /** hits counts the search matches per page. */
  hits: ReadonlyMap<number, number>;
  onSelect(n: number): void;
}

/** A4's height over its width: the placeholder shape of a page not known yet. */
const A4 = 1.414;

/**
 * useSeen tracks which thumbnails have come near the visible part of the
 * list, so a 300-page task fetches only the images someone scrolls to.
 * Without IntersectionObserver every image is left to loading="lazy".
 */
function useSeen(list: RefObject<HTMLOListElement | null>, count: number): (n: number) => boolean {
  const [seen, setSeen] = useState<ReadonlySet<number>>(() => new Set());
  const supported = typeof IntersectionObserver !== 'undefined';
  useEffect(() => {
    const el = list.current;
    if (!el || !supported) return;
    const io = new IntersectionObserver(
      (entries) => {
        const add = entries.filter((e) => e.isIntersecting).map((e) => Number((e.target as HTMLElement).dataset.page));
        if (add.length) setSeen((s) => new Set([...s, ...add]));
      },
      // The list scrolls (down the side, or across on a phone): look a
      // screenful ahead in both directions.
      { root: el, rootMargin: '400px' },
    );
    for (const li of Array.from(el.querySelectorAll('li[data-page]'))) io.observe(li);
    return () => io.disconnect();
  }, [list, count, supported]);
  return (n) => !supported || seen.has(n);
}

/**
 * Thumbnails is the list of pages down the side (across, on a phone): a
 * button per page with its image, loaded when it scrolls near, the current
 * one marked aria-current, pages to check and pages with search hits flagged.
 */
export const Thumbnails = memo(function Thumbnails({ taskId, count, current, pages, review, hits, onSelect }: ThumbnailsProps) {
  const list = useRef<HTMLOListElement>(null);
  const visible = useSeen(list, count);

  // Keep the current page's thumbnail in view as pages change, scrolling
  // the list only: scrollIntoView would move the window too (on a phone, up
  // to the strip, away from the page being read).
  useEffect(() => {
    const ol = list.current;
    const li = ol?.querySelector<HTMLElement>(`li[data-page="${current}"]`);
    if (!ol || !li) return;
    const o = ol.getBoundingClientRect();
    const r = li.getBoundingClientRect();
    if (r.top < o.top) ol.scrollTop -= o.top - r.top;
    else if (r.bottom > o.bottom) ol.scrollTop += r.bottom - o.bottom;
    if (r.left < o.left) ol.scrollLeft -= o.left - r.left;
    else if (r.right > o.right) ol.scrollLeft += r.right - o.right;
  }, [current]);

  return (
    <ol className="viewer-thumbs" ref={list}>
      {Array.from({ length: count }, (_, i) => {
        const n = i + 1;
        const p = pages?.[i];
        const ratio = p && p.width > 0 && p.height > 0 ? `${p.width} / ${p.height}` : `1 / ${A4}`;
        const check = review.has(n);
        const found = hits.get(n) ?? 0;
        return (
          <li key={n} data-page={n}>
            <button
              type="button"
              className={`viewer-thumb${n === current ? ' is-current' : ''}${check ? ' is-check' : ''}`}
              aria-current={n === current ? 'page' : undefined}
              onClick={() => onSelect(n)}
            >
              <span className="viewer-thumb-frame" style={{ aspectRatio: ratio }}>
                {visible(n) && <img src={pageImageURL(taskId, n, THUMB_WIDTH)} alt="" loading="lazy" decoding="async" draggable={false} />}
              </span>
              <span className="viewer-thumb-label">
                <span className="visually-hidden">Page </span>
                {n}
                {check && (
                  <span className="viewer-flag viewer-flag-check">
                    {' '}
                    Check<span className="visually-hidden"> result</span>
                  </span>
                )}
                {found > 0 && (
                  <span className="viewer-flag viewer-flag-hits">
                    {' '}
                    {found} {found === 1 ? 'hit' : 'hits'}
                  </span>
                )}
              </span>
            </button>
          </li>
        );
      })}
    </ol>
  );
});
