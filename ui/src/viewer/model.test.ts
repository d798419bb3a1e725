import { describe, expect, it } from 'vitest';
import {
  band,
  doubtfulWords,
  flattenHits,
  nextRef,
  pageImageSrcSet,
  pageImageURL,
  pagesFromText,
  parseResult,
  percentBox,
  scaleBox,
  separators,
  taskText,
  wordBox,
  type Matches,
} from './model';
import { PAGES, resultJSON, word } from './testData';

describe('box geometry', () => {
  it('scales a page box to the displayed image, each axis by its own ratio', () => {
    // A 2480 × 3508 scan (A4 at 300 dpi) shown 620 px wide: a quarter.
    expect(scaleBox({ x: 400, y: 800, w: 200, h: 40 }, 2480, 3508, 620, 877)).toEqual({ x: 100, y: 200, w: 50, h: 10 });
    // A page image the server sent narrower than the page still lines up.
    expect(scaleBox({ x: 100, y: 100, w: 100, h: 100 }, 1000, 500, 320, 160)).toEqual({ x: 32, y: 32, w: 32, h: 32 });
    // No size known: nothing to scale by.
    expect(scaleBox({ x: 10, y: 10, w: 5, h: 5 }, 0, 0, 600, 800)).toEqual({ x: 0, y: 0, w: 0, h: 0 });
  });

  it('places a box in percentages of the page, so it follows the image at any size', () => {
    expect(percentBox({ x: 250, y: 350, w: 100, h: 70 }, 1000, 1400)).toEqual({ left: '25%', top: '25%', width: '10%', height: '5%' });
    expect(percentBox({ x: 1, y: 1, w: 1, h: 1 }, 3, 3).left).toBe('33.3333%');
  });

  it('reads a bbox [x0, y0, x1, y1] as a box', () => {
    expect(wordBox(word('a', [10, 20, 40, 60]))).toEqual({ x: 10, y: 20, w: 30, h: 40 });
    expect(wordBox(word('a', [40, 20, 10, 60])).w).toBe(0);
  });

  it('asks the server for a page image of a given width, and offers its cached sizes', () => {
    expect(pageImageURL('t 1', 3, 320)).toBe('/api/v1/tasks/t%201/pages/3/image?width=320');
    expect(pageImageURL('t1', 1)).toBe('/api/v1/tasks/t1/pages/1/image');
    expect(pageImageSrcSet('t1', 2).split(', ')).toEqual([
      '/api/v1/tasks/t1/pages/2/image?width=640 640w',
      '/api/v1/tasks/t1/pages/2/image?width=1024 1024w',
      '/api/v1/tasks/t1/pages/2/image?width=1600 1600w',
      '/api/v1/tasks/t1/pages/2/image?width=2000 2000w',
    ]);
  });
});

describe('confidence', () => {
  it('puts words in bands around the review threshold', () => {
    expect(band(95)).toBe('high');
    expect(band(85)).toBe('high');
    expect(band(84.9)).toBe('medium');
    expect(band(60)).toBe('medium');
    expect(band(59)).toBe('low');
    expect(band(70, 75)).toBe('low');
    expect(band(-1)).toBe('unknown');
    expect(band(Number.NaN)).toBe('unknown');
  });

  it('lists doubtful words over all pages in reading order, skipping words without a confidence', () => {
    expect(doubtfulWords(PAGES)).toEqual([
      { page: 1, index: 2 },
      { page: 2, index: 0 },
    ]);
    expect(doubtfulWords(PAGES, 75)).toEqual([
      { page: 1, index: 2 },
      { page: 1, index: 3 },
      { page: 2, index: 0 },
    ]);
  });

  it('next walks on from the current entry and cycles; without one it starts at the page being read', () => {
    const list = [
      { page: 1, index: 2 },
      { page: 3, index: 0 },
      { page: 3, index: 5 },
    ];
    expect(nextRef(list, undefined, 2)).toEqual({ page: 3, index: 0 });
    expect(nextRef(list, undefined, 4)).toEqual({ page: 1, index: 2 });
    expect(nextRef(list, list[0], 1)).toEqual(list[1]);
    expect(nextRef(list, list[2], 3)).toEqual(list[0]);
    expect(nextRef(list, list[0], 1, -1)).toEqual(list[2]);
    expect(nextRef(list, undefined, 2, -1)).toEqual(list[0]);
    expect(nextRef([], undefined, 1)).toBeUndefined();
  });
});

describe('search hits', () => {
  it('flattens the matches answer into hits in page order, each with its page size', () => {
    const m: Matches = {
      terms: ['invoice'],
      truncated: false,
      pages: [
        { page: 2, width: 1000, height: 1400, boxes: [{ x: 1, y: 2, w: 3, h: 4, word: 'Invoice' }] },
        {
          page: 5,
          width: 800,
          height: 600,
          boxes: [
            { x: 5, y: 6, w: 7, h: 8, word: 'invoice' },
            { x: 9, y: 9, w: 9, h: 9, word: 'Invoices' },
          ],
        },
      ],
    };
    const hits = flattenHits(m);
    expect(hits.map((h) => [h.page, h.index, h.box.word, h.pageW])).toEqual([
      [2, 0, 'Invoice', 1000],
      [5, 0, 'invoice', 800],
      [5, 1, 'Invoices', 800],
    ]);
    expect(flattenHits(undefined)).toEqual([]);
  });
});

describe('reading results', () => {
  it('reads the JSON output and drops malformed words', () => {
    const pages = parseResult(resultJSON());
    expect(pages).toHaveLength(2);
    expect(pages[1].words.map((w) => w.text)).toEqual(['Invoice', '42']);
    const odd = parseResult(JSON.stringify({ pages: [{ words: [{ text: 'x' }, word('ok', [1, 2, 3, 4])] }] }));
    expect(odd[0]).toMatchObject({ number: 1, width: 0, text: '', source: 'ocr' });
    expect(odd[0].words.map((w) => w.text)).toEqual(['ok']);
    expect(() => parseResult('{"task_id":"t1"}')).toThrow(/no pages/);
  });

  it('splits the text output on form feeds when there is no JSON', () => {
    const pages = pagesFromText('one\n\ftwo\n\f', 3);
    expect(pages.map((p) => p.text)).toEqual(['one\n', 'two\n', '']);
    expect(pages.every((p) => p.words.length === 0 && p.width === 0)).toBe(true);
  });

  it('joins the pages for "Copy all" with a blank line, leaving out empty pages', () => {
    expect(taskText(PAGES)).toBe('Dear Sir\nplease pay\n\nInvoice 42');
    expect(taskText(pagesFromText('a\f\fb', 3))).toBe('a\n\nb');
  });

  it('separates words by a space, a line break or a blank line between paragraphs', () => {
    const ws = [word('a', [0, 0, 1, 1], 90, 1), word('b', [0, 0, 1, 1], 90, 1), word('c', [0, 0, 1, 1], 90, 2), word('d', [0, 0, 1, 1], 90, 1, 2)];
    expect(separators(ws)).toEqual([' ', '\n', '\n\n', '']);
  });
});
