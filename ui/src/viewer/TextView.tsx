import { memo, useEffect, useEffectEvent, useLayoutEffect, useRef, type ReactNode } from 'react';
import { pageText, type ResultPage } from './model';

/** TextViewProps: the pages, the one to show first, and the words a search found. */
export interface TextViewProps {
  pages: ResultPage[];
  current: number;
  /** found are the matched words per page, lower-cased, to mark in the text. */
  found: ReadonlyMap<number, ReadonlySet<string>>;
  /** onVisible says which page is being read as the text scrolls. */
  onVisible?(n: number): void;
}

/** marked wraps the words of text that are in found in <mark>. */
function marked(text: string, found: ReadonlySet<string> | undefined): ReactNode {
  if (!found || found.size === 0) return text;
  const parts = text.split(/([\p{L}\p{N}]+)/u);
  return parts.map((part, i) => (i % 2 === 1 && found.has(part.toLowerCase()) ? <mark key={i}>{part}</mark> : part));
}

/**
 * TextView is the text-only mode: every page's text under a "Page n"
 * marker, scrolled to the current page, the search's words marked.
 */
export const TextView = memo(function TextView({ pages, current, found, onVisible }: TextViewProps) {
  const box = useRef<HTMLDivElement>(null);
  // The page the reader scrolled to is reported, not scrolled to again.
  const reported = useRef<number>(undefined);
  const first = useRef(true);
  useLayoutEffect(() => {
    const opening = first.current;
    first.current = false;
    if (current === reported.current || (opening && current === 1)) return;
    box.current?.querySelector(`[data-page="${current}"]`)?.scrollIntoView?.({ block: 'start' });
  }, [current]);

  const report = useEffectEvent((n: number) => {
    if (n === reported.current) return;
    reported.current = n;
    onVisible?.(n);
  });
  useEffect(() => {
    const el = box.current;
    if (!el || typeof IntersectionObserver === 'undefined') return;
    // A band across the upper part of the window: the page crossing it is the one being read.
    const io = new IntersectionObserver(
      (entries) => {
        const hit = entries.find((e) => e.isIntersecting);
        if (hit) report(Number((hit.target as HTMLElement).dataset.page));
      },
      { rootMargin: '-30% 0px -60% 0px' },
    );
    for (const s of Array.from(el.querySelectorAll('section[data-page]'))) io.observe(s);
    return () => io.disconnect();
  }, [pages]);
  return (
    <div className="viewer-text" ref={box} data-testid="text-view">
      {pages.map((p) => {
        const text = pageText(p);
        return (
          <section key={p.number} data-page={p.number} aria-labelledby={`viewer-text-${p.number}`} className="viewer-text-page">
            <h3 id={`viewer-text-${p.number}`} className="viewer-text-marker">
              Page {p.number}
            </h3>
            {text ? <pre>{marked(text, found.get(p.number))}</pre> : <p className="muted">No text on this page.</p>}
          </section>
        );
      })}
    </div>
  );
});
