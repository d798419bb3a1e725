import { memo, useLayoutEffect, useRef, type ReactNode } from 'react';
import { pageText, type ResultPage } from './model';

/** TextViewProps: the pages, the one to show first, and the words a search found. */
export interface TextViewProps {
  pages: ResultPage[];
  current: number;
  /** found are the matched words per page, lower-cased, to mark in the text. */
  found: ReadonlyMap<number, ReadonlySet<string>>;
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
export const TextView = memo(function TextView({ pages, current, found }: TextViewProps) {
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    box.current?.querySelector(`[data-page="${current}"]`)?.scrollIntoView?.({ block: 'start' });
  }, [current]);
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
