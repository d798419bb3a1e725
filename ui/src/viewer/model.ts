// The viewer's data: the task's JSON result read into pages and words, the
// geometry that puts a word box over the page image at any displayed size,
// confidence bands, and the flat lists "next doubtful word" and "next hit"
// walk through. Pure functions, so they are tested without a browser.
import { url } from '../api/client';
import type { operations } from '../api/openapi.gen';

/**
 * ResultWord is one recognised word of the JSON output (core/outputs
 * Word): bbox is [x0, y0, x1, y1] in the pixels of the upright page as
 * recognised, origin top left; confidence 0..100, negative when the
 * engine gives none.
 */
export interface ResultWord {
  text: string;
  bbox: [number, number, number, number];
  confidence: number;
  block: number;
  paragraph: number;
  line: number;
}

/**
 * ResultPage is one page of the JSON output (core/outputs jsonPage). The
 * OpenAPI description covers the API, not the output files, so the shape
 * is written here from core/outputs/json.go.
 */
export interface ResultPage {
  number: number;
  /** width and height are the upright page's pixels, the space of the boxes. */
  width: number;
  height: number;
  dpi: number;
  text: string;
  mean_confidence: number;
  /** source is "ocr" or "pdf_text" (the PDF's own text layer, no confidences). */
  source: string;
  words: ResultWord[];
}

/** Matches is GET /tasks/{id}/matches's answer. */
export type Matches = operations['getTaskMatches']['responses'][200]['content']['application/json'];
/** MatchBox is one matching word on a page: x, y, w, h in the page's pixels. */
export type MatchBox = Matches['pages'][number]['boxes'][number];

/** Box is a rectangle in some pixel space: left, top, width, height. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** THUMB_WIDTH is the width asked for thumbnails: the server's smallest cached size. */
export const THUMB_WIDTH = 320;
/** IMAGE_WIDTHS are the sizes the server caches (it rounds up to them), for srcset. */
export const IMAGE_WIDTHS = [640, 1024, 1600, 2000];

/** pageImageURL is page n's image no wider than width (the cookie authorises it). */
export function pageImageURL(taskId: string, n: number, width?: number): string {
  return url(`/tasks/${encodeURIComponent(taskId)}/pages/${n}/image`, { width });
}

/** pageImageSrcSet offers the server's sizes, so the browser picks one for the pane and the screen's density. */
export function pageImageSrcSet(taskId: string, n: number): string {
  return IMAGE_WIDTHS.map((w) => `${pageImageURL(taskId, n, w)} ${w}w`).join(', ');
}

/** wordBox is a word's bbox as a Box in the page's pixels. */
export function wordBox(w: ResultWord): Box {
  const [x0, y0, x1, y1] = w.bbox;
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
}

/**
 * scaleBox maps a box from the page's pixels (pageW × pageH, the JSON's
 * width and height) to an image displayed at shownW × shownH. The server's
 * image is the same upright page at another size, so each axis scales by
 * its own ratio.
 */
export function scaleBox(b: Box, pageW: number, pageH: number, shownW: number, shownH: number): Box {
  const sx = pageW > 0 ? shownW / pageW : 0;
  const sy = pageH > 0 ? shownH / pageH : 0;
  return { x: b.x * sx, y: b.y * sy, w: b.w * sx, h: b.h * sy };
}

/**
 * percentBox places a box as CSS percentages of the page, so an overlay
 * follows the image at any size without measuring it.
 */
export function percentBox(b: Box, pageW: number, pageH: number): { left: string; top: string; width: string; height: string } {
  const p = scaleBox(b, pageW, pageH, 100, 100);
  const f = (v: number) => `${Number(v.toFixed(4))}%`;
  return { left: f(p.x), top: f(p.y), width: f(p.w), height: f(p.h) };
}

/** ConfidenceBand names how sure the engine was of a word. */
export type ConfidenceBand = 'high' | 'medium' | 'low' | 'unknown';

/** HIGH_CONFIDENCE: at or above this a word counts as sure. */
export const HIGH_CONFIDENCE = 85;
/** DEFAULT_DOUBT is the server's default review threshold (ocr.review_confidence). */
export const DEFAULT_DOUBT = 60;

/** band puts a confidence in its band; below doubt is low. */
export function band(confidence: number, doubt = DEFAULT_DOUBT): ConfidenceBand {
  if (!(confidence >= 0)) return 'unknown';
  if (confidence < doubt) return 'low';
  if (confidence < HIGH_CONFIDENCE) return 'medium';
  return 'high';
}

/** WordRef names one word: its page (1-based) and its index in that page's words. */
export interface WordRef {
  page: number;
  index: number;
}

/** doubtfulWords lists the words below doubt, in reading order, over all pages. */
export function doubtfulWords(pages: ResultPage[], doubt = DEFAULT_DOUBT): WordRef[] {
  const out: WordRef[] = [];
  for (const p of pages) {
    p.words.forEach((w, index) => {
      if (w.confidence >= 0 && w.confidence < doubt && w.text.trim()) out.push({ page: p.number, index });
    });
  }
  return out;
}

/**
 * nextRef is the entry after cur in list (or before it, dir -1), cycling;
 * with no current one, the first at or after page (the last at or before
 * it going back), so the walk starts where the reader is.
 */
export function nextRef<T extends { page: number; index: number }>(list: T[], cur: T | undefined, page: number, dir: 1 | -1 = 1): T | undefined {
  if (list.length === 0) return undefined;
  if (cur) {
    const i = list.findIndex((r) => r.page === cur.page && r.index === cur.index);
    if (i >= 0) return list[(i + dir + list.length) % list.length];
  }
  if (dir === 1) return list.find((r) => r.page >= page) ?? list[0];
  for (let i = list.length - 1; i >= 0; i--) if (list[i].page <= page) return list[i];
  return list[list.length - 1];
}

/** Hit is one matching box of a search: its page and its index in that page's boxes. */
export interface Hit {
  page: number;
  index: number;
  box: MatchBox;
  /** pageW and pageH are the pixel space of box. */
  pageW: number;
  pageH: number;
}

/** flattenHits lists every matching box of a matches answer in page order. */
export function flattenHits(m: Matches | undefined): Hit[] {
  const out: Hit[] = [];
  for (const p of m?.pages ?? []) {
    p.boxes.forEach((box, index) => out.push({ page: p.page, index, box, pageW: p.width, pageH: p.height }));
  }
  return out;
}

/**
 * parseResult reads the JSON output. It checks only what the viewer
 * relies on, so a result from a newer server with more fields still opens.
 */
export function parseResult(text: string): ResultPage[] {
  const doc = JSON.parse(text) as { pages?: unknown };
  if (!doc || !Array.isArray(doc.pages)) throw new Error('the JSON result has no pages');
  return (doc.pages as Partial<ResultPage>[]).map((p, i) => ({
    number: typeof p.number === 'number' ? p.number : i + 1,
    width: p.width ?? 0,
    height: p.height ?? 0,
    dpi: p.dpi ?? 0,
    text: p.text ?? '',
    mean_confidence: p.mean_confidence ?? -1,
    source: p.source ?? 'ocr',
    words: Array.isArray(p.words) ? p.words.filter((w) => Array.isArray(w?.bbox) && w.bbox.length === 4) : [],
  }));
}

/**
 * pagesFromText splits the text output into pages: it separates them with
 * a form feed (core/outputs WriteText). For tasks made without the JSON
 * output: text, but no boxes.
 */
export function pagesFromText(text: string, pagesTotal: number): ResultPage[] {
  const parts = text.split('\f');
  const n = Math.max(pagesTotal, parts.length);
  return Array.from({ length: n }, (_, i) => ({
    number: i + 1,
    width: 0,
    height: 0,
    dpi: 0,
    text: parts[i] ?? '',
    mean_confidence: -1,
    source: 'ocr',
    words: [],
  }));
}

/** pageText is a page's text without trailing blank lines. */
export function pageText(p: ResultPage | undefined): string {
  return (p?.text ?? '').replace(/[\s\f]+$/, '');
}

/** taskText is every page's text, pages separated by a blank line, for "Copy all". */
export function taskText(pages: ResultPage[]): string {
  return pages
    .map(pageText)
    .filter((t) => t !== '')
    .join('\n\n');
}

/**
 * separators tells, for each word, what separates it from the next one in
 * reading order: a space on the same line, a newline at a line's end, a
 * blank line between paragraphs. The text layer uses it so that selected
 * words copy as the lines they are on.
 */
export function separators(words: ResultWord[]): string[] {
  return words.map((w, i) => {
    const n = words[i + 1];
    if (!n) return '';
    if (n.block !== w.block || n.paragraph !== w.paragraph) return '\n\n';
    if (n.line !== w.line) return '\n';
    return ' ';
  });
}
