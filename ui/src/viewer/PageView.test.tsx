import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { flattenHits } from './model';
import { PageView, selectionText } from './PageView';
import { PAGES } from './testData';

const base = { taskId: 't1', n: 1, filename: 'letter.pdf', page: PAGES[0], layer: true, shade: false, doubt: 60, hits: [] };

describe('PageView', () => {
  it('shows the server’s page image with a srcset of its cached sizes', () => {
    render(<PageView {...base} />);
    const img = screen.getByRole('img', { name: 'Page 1 of letter.pdf' });
    expect(img).toHaveAttribute('src', '/api/v1/tasks/t1/pages/1/image?width=1024');
    expect(img.getAttribute('srcset')).toContain('/api/v1/tasks/t1/pages/1/image?width=2000 2000w');
    expect(screen.getByTestId('page-sheet').style.aspectRatio).toBe('1000 / 1400');
  });

  it('puts each word of the text layer on its box, its line’s height down', () => {
    render(<PageView {...base} />);
    const spans = Array.from(screen.getByTestId('text-layer').querySelectorAll('span'));
    expect(spans.map((s) => s.textContent)).toEqual(['Dear', 'Sir', 'please', 'pay']);
    // "Sir": x 220..280 of 1000, line 1 runs y 100..140 of 1400.
    expect(spans[1].style).toMatchObject({ left: '22%', top: '7.1429%', height: '2.8571%' });
    // jsdom cannot measure text, so the span takes the box's width.
    expect(spans[1].style.width).toBe('6%');
    // Line 2's words share the line's top and height: 160..205.
    expect(spans[2].style.top).toBe(spans[3].style.top);
    expect(spans[2].style.height).toBe('3.2143%');
    expect(spans[2].style.fontSize).toBe('calc(var(--s) * 37.50px)');
  });

  it('has no text layer in image mode, and shades words by band on demand', () => {
    const { rerender } = render(<PageView {...base} layer={false} />);
    expect(screen.queryByTestId('text-layer')).toBeNull();
    expect(document.querySelector('.viewer-shade')).toBeNull();
    rerender(<PageView {...base} layer={false} shade />);
    const shade = document.querySelector('.viewer-shade')!;
    expect(shade).toHaveAttribute('aria-hidden', 'true');
    expect(Array.from(shade.children).map((s) => s.className)).toEqual(['viewer-band-high', 'viewer-band-high', 'viewer-band-low', 'viewer-band-medium']);
  });

  it('marks the search hits on the page, the chosen one apart', () => {
    const hits = flattenHits({
      terms: ['dear'],
      truncated: false,
      pages: [
        {
          page: 1,
          width: 1000,
          height: 1400,
          boxes: [
            { x: 100, y: 100, w: 100, h: 40, word: 'Dear' },
            { x: 500, y: 700, w: 200, h: 70, word: 'dear' },
          ],
        },
      ],
    });
    render(<PageView {...base} hits={hits} activeHit={1} />);
    const marks = screen.getAllByTestId('search-hit');
    expect(marks).toHaveLength(2);
    expect(marks[0].style).toMatchObject({ left: '10%', top: '7.1429%', width: '10%' });
    expect(marks[1]).toHaveClass('is-active');
    expect(marks[0]).not.toHaveClass('is-active');
  });

  it('outlines the doubtful word chosen', () => {
    render(<PageView {...base} activeWord={2} />);
    expect(screen.getByTestId('doubtful-word').style).toMatchObject({ left: '10%', width: '13%' });
  });

  it('draws no boxes without a page size (a task without the JSON output)', () => {
    render(<PageView {...base} page={{ ...PAGES[0], width: 0, height: 0 }} shade activeWord={0} />);
    expect(screen.queryByTestId('text-layer')).toBeNull();
    expect(screen.queryByTestId('doubtful-word')).toBeNull();
    expect(screen.getByRole('img')).toBeInTheDocument();
  });
});

describe('selectionText', () => {
  it('copies selected words as lines: spaces within a line, a newline between lines, parts of words at the ends', () => {
    render(<PageView {...base} />);
    const layer = screen.getByTestId('text-layer');
    const spans = layer.querySelectorAll('span');
    const range = document.createRange();
    range.setStart(spans[0].firstChild!, 1); // "ear"
    range.setEnd(spans[3].firstChild!, 2); // "pa"
    expect(selectionText(layer, range, PAGES[0].words)).toBe('ear Sir\nplease pa');
    const one = document.createRange();
    one.selectNodeContents(spans[1]);
    expect(selectionText(layer, one, PAGES[0].words)).toBe('Sir');
  });
});
