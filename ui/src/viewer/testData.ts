// Fixtures for the viewer's tests: a two-page JSON result in the server's
// shape (core/outputs WriteJSON) and its words.
import type { ResultPage, ResultWord } from './model';

/** word builds a ResultWord on a line. */
export function word(text: string, bbox: [number, number, number, number], confidence = 95, line = 1, paragraph = 1, block = 1): ResultWord {
  return { text, bbox, confidence, block, paragraph, line };
}

/** PAGES is a two-page result: page 1 has one doubtful word, page 2 the invoice. */
export const PAGES: ResultPage[] = [
  {
    number: 1,
    width: 1000,
    height: 1400,
    dpi: 300,
    text: 'Dear Sir\nplease pay\n',
    mean_confidence: 80,
    source: 'ocr',
    words: [
      word('Dear', [100, 100, 200, 140]),
      word('Sir', [220, 100, 280, 140], 90),
      word('please', [100, 160, 230, 200], 40, 2),
      word('pay', [250, 160, 320, 205], 70, 2),
    ],
  },
  {
    number: 2,
    width: 1000,
    height: 1400,
    dpi: 300,
    text: 'Invoice 42\n\f',
    mean_confidence: 50,
    source: 'ocr',
    words: [word('Invoice', [500, 700, 700, 760], 30), word('42', [720, 700, 780, 760], -1)],
  },
];

/** resultJSON is PAGES as the JSON output file. */
export function resultJSON(pages: ResultPage[] = PAGES): string {
  return JSON.stringify({ task_id: 't1', filename: 'letter.pdf', engine: 'tesseract', lang: 'eng', pages });
}
