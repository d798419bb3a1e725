import { memo, useLayoutEffect, useMemo, useRef, useState, type ClipboardEvent, type CSSProperties } from 'react';
import {
  band,
  pageImageSrcSet,
  pageImageURL,
  percentBox,
  separators,
  wordBox,
  type Hit,
  type ResultPage,
  type ResultWord,
} from './model';

/** ViewMode is what the page pane shows: the image, the image with its words over it, or the text alone. */
export type ViewMode = 'image' | 'layer' | 'text';

/** Fit is how big the page is shown: as wide as the pane, or whole in the window. */
export type Fit = 'width' | 'page';

/** WINDOW_SPARE is the window height the whole page leaves for the header and the page's heading. */
const WINDOW_SPARE = '7rem';

/** PageViewProps: the page and what to draw over it. */
export interface PageViewProps {
  taskId: string;
  /** n is the page number, 1-based. */
  n: number;
  filename: string;
  /** page is the page's result (absent while it loads, or for a task without one). */
  page?: ResultPage;
  /** layer: put the words over the image as selectable, transparent text. */
  layer: boolean;
  /** shade tints each word by its confidence band. */
  shade: boolean;
  /** doubt is the confidence below which a word counts as doubtful. */
  doubt: number;
  /** activeWord is the index of the word "next doubtful word" chose on this page. */
  activeWord?: number;
  /** hits are this page's search matches; activeHit the one chosen (its index among them). */
  hits: Hit[];
  activeHit?: number;
  /** fit: as wide as the pane (default), or the whole page in the window. */
  fit?: Fit;
}

/** measurer returns a function giving a text's width at a font size, or undefined where the browser cannot measure (tests). */
function measurer(): ((text: string, px: number) => number) | undefined {
  if (typeof OffscreenCanvas === 'undefined') return undefined;
  const ctx = new OffscreenCanvas(1, 1).getContext('2d');
  if (!ctx) return undefined;
  return (text, px) => {
    ctx.font = `${px}px ${LAYER_FONT}`;
    return ctx.measureText(text).width;
  };
}

/** LAYER_FONT is the text layer's font; the measurements use the same. */
const LAYER_FONT = 'sans-serif';

/** PlacedWord is a word of the text layer: where its line runs and how much to stretch it. */
interface PlacedWord {
  word: ResultWord;
  index: number;
  style: CSSProperties;
}

/**
 * placeWords lays out the text layer in page pixels: each word spans its
 * own box across and its line's height down, in a font sized from the
 * line, stretched (scaleX) to its box as a PDF text layer does, so a
 * selection covers the word on the image. The CSS variable --s (display
 * pixels per page pixel) scales it all to the image's size.
 */
function placeWords(p: ResultPage): PlacedWord[] {
  const lines = new Map<string, { top: number; bottom: number }>();
  const key = (w: ResultWord) => `${w.block}/${w.paragraph}/${w.line}`;
  for (const w of p.words) {
    const l = lines.get(key(w));
    const [, y0, , y1] = w.bbox;
    if (l) {
      l.top = Math.min(l.top, y0);
      l.bottom = Math.max(l.bottom, y1);
    } else lines.set(key(w), { top: y0, bottom: y1 });
  }
  const measure = measurer();
  return p.words.map((word, index) => {
    const b = wordBox(word);
    const line = lines.get(key(word))!;
    const lineH = Math.max(1, line.bottom - line.top);
    // A line's box runs from its ascenders to its descenders: about 1.2 em.
    const font = lineH / 1.2;
    const natural = measure?.(word.text, font);
    const { left, top, width, height } = percentBox({ x: b.x, y: line.top, w: b.w, h: lineH }, p.width, p.height);
    const style: CSSProperties = {
      left,
      top,
      height,
      fontSize: `calc(var(--s) * ${font.toFixed(2)}px)`,
      lineHeight: `calc(var(--s) * ${lineH}px)`,
    };
    // Stretched from the text's own width to the box; where the browser
    // cannot measure, the span is given the box's width instead.
    if (natural && natural > 0 && b.w > 0) style.transform = `scaleX(${(b.w / natural).toFixed(4)})`;
    else style.width = width;
    return { word, index, style };
  });
}

/**
 * selectionText is what a selection in the text layer copies: the selected
 * (parts of) words with the spaces, line breaks and blank lines between
 * them, rather than the browser's one-word-per-line of absolutely placed spans.
 */
export function selectionText(layer: HTMLElement, range: Range, words: ResultWord[]): string {
  const seps = separators(words);
  let out = '';
  let prev = -1;
  for (const span of Array.from(layer.querySelectorAll<HTMLElement>('[data-w]'))) {
    if (!range.intersectsNode(span)) continue;
    const i = Number(span.dataset.w);
    const node = span.firstChild;
    let text = words[i]?.text ?? '';
    let start = 0;
    let end = text.length;
    if (node && range.startContainer === node) start = range.startOffset;
    if (node && range.endContainer === node) end = range.endOffset;
    text = text.slice(start, end);
    if (!text) continue;
    if (prev >= 0) out += seps[prev] === '' ? ' ' : seps[prev];
    out += text;
    prev = i;
  }
  return out;
}

/** TextLayer is the page's words as transparent, selectable text over the image. */
const TextLayer = memo(function TextLayer({ page }: { page: ResultPage }) {
  const placed = useMemo(() => placeWords(page), [page]);
  const onCopy = (e: ClipboardEvent<HTMLDivElement>) => {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return;
    const text = selectionText(e.currentTarget, sel.getRangeAt(0), page.words);
    if (!text) return;
    e.clipboardData.setData('text/plain', text);
    e.preventDefault();
  };
  return (
    <div className="viewer-layer" data-testid="text-layer" onCopy={onCopy} style={{ fontFamily: LAYER_FONT }}>
      {placed.map((p) => (
        <span key={p.index} data-w={p.index} style={p.style}>
          {p.word.text}
        </span>
      ))}
    </div>
  );
});

/** Shading tints every word by its confidence band; it only paints, so it is hidden from assistive technology. */
const Shading = memo(function Shading({ page, doubt }: { page: ResultPage; doubt: number }) {
  return (
    <div className="viewer-shade" aria-hidden="true">
      {page.words.map((w, i) => {
        const b = band(w.confidence, doubt);
        if (b === 'unknown') return null;
        return <span key={i} className={`viewer-band-${b}`} style={percentBox(wordBox(w), page.width, page.height)} />;
      })}
    </div>
  );
});

/**
 * PageView is one page large: the server's image fitted to the pane, and
 * over it the text layer, the confidence shading, the search hits and the
 * chosen doubtful word, all placed in percentages of the page.
 */
export function PageView({ taskId, n, filename, page, layer, shade, doubt, activeWord, hits, activeHit, fit = 'width' }: PageViewProps) {
  const sheet = useRef<HTMLDivElement>(null);
  const [shownW, setShownW] = useState(0);
  const [failed, setFailed] = useState<number>();
  const [attempt, setAttempt] = useState(0);

  useLayoutEffect(() => {
    const el = sheet.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setShownW(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // The chosen hit or doubtful word scrolls into view (a tall page is taller than the pane).
  const marked = useRef<HTMLSpanElement>(null);
  useLayoutEffect(() => {
    marked.current?.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
  }, [n, activeHit, activeWord]);

  const boxes = !!page && page.width > 0 && page.height > 0;
  const scale = boxes && shownW > 0 ? shownW / page.width : 1;
  const style = {
    '--s': scale,
    aspectRatio: boxes ? `${page.width} / ${page.height}` : undefined,
    // The whole page: as wide as the window's height allows, the height following by the ratio.
    width: boxes && fit === 'page' ? `min(100%, calc((100vh - ${WINDOW_SPARE}) * ${(page.width / page.height).toFixed(4)}))` : undefined,
  } as CSSProperties;
  const word = boxes && activeWord !== undefined ? page.words[activeWord] : undefined;
  const broken = failed === n;
  // A new attempt must not come from the browser's memory of the failure.
  const retry = attempt > 0 ? `&retry=${attempt}` : '';

  return (
    <div className={`viewer-sheet${fit === 'page' ? ' is-fit-page' : ''}`} ref={sheet} style={style} data-testid="page-sheet">
      {broken ? (
        <div className="viewer-image-error" role="alert">
          <p>The image of page {n} could not be loaded.</p>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              setFailed(undefined);
              setAttempt((a) => a + 1);
            }}
          >
            Try again
          </button>
        </div>
      ) : (
        <img
          key={`${n}/${attempt}`}
          className="viewer-image"
          src={pageImageURL(taskId, n, 1024) + retry}
          srcSet={attempt > 0 ? undefined : pageImageSrcSet(taskId, n)}
          sizes={shownW > 0 ? `${Math.ceil(shownW)}px` : '(max-width: 700px) 100vw, 70vw'}
          alt={`Page ${n} of ${filename}`}
          onError={() => setFailed(n)}
          draggable={false}
        />
      )}
      {boxes && shade && <Shading page={page} doubt={doubt} />}
      {boxes && hits.length > 0 && (
        <div className="viewer-hits" aria-hidden="true">
          {hits.map((h, i) => (
            <span
              key={i}
              ref={i === activeHit ? marked : undefined}
              className={`viewer-hit${i === activeHit ? ' is-active' : ''}`}
              data-testid="search-hit"
              title={h.box.word}
              style={percentBox(h.box, h.pageW, h.pageH)}
            />
          ))}
        </div>
      )}
      {word && page && (
        <span
          ref={activeHit === undefined ? marked : undefined}
          className="viewer-doubt"
          aria-hidden="true"
          data-testid="doubtful-word"
          style={percentBox(wordBox(word), page.width, page.height)}
        />
      )}
      {boxes && layer && <TextLayer page={page} />}
    </div>
  );
}
