import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Thumbnails } from './Thumbnails';

/**
 * FakeObserver stands in for IntersectionObserver: tests say which
 * elements scrolled into view.
 */
class FakeObserver {
  static last: FakeObserver | undefined;
  observed: Element[] = [];
  options: IntersectionObserverInit | undefined;
  constructor(
    private cb: IntersectionObserverCallback,
    options?: IntersectionObserverInit,
  ) {
    this.options = options;
    FakeObserver.last = this;
  }
  observe(el: Element) {
    this.observed.push(el);
  }
  unobserve() {}
  disconnect() {
    this.observed = [];
  }
  takeRecords() {
    return [];
  }
  /** show reports pages as scrolled into view. */
  show(...pages: number[]) {
    const entries = this.observed
      .filter((el) => pages.includes(Number((el as HTMLElement).dataset.page)))
      .map((target) => ({ target, isIntersecting: true }) as unknown as IntersectionObserverEntry);
    act(() => this.cb(entries, this as unknown as IntersectionObserver));
  }
}

beforeEach(() => {
  vi.stubGlobal('IntersectionObserver', FakeObserver);
});
afterEach(() => {
  vi.unstubAllGlobals();
  FakeObserver.last = undefined;
});

const none = new Set<number>();
const noHits = new Map<number, number>();

describe('Thumbnails', () => {
  it('renders a button per page but fetches only the images that scroll near', () => {
    render(<Thumbnails taskId="t1" count={300} current={1} review={none} hits={noHits} onSelect={() => {}} />);
    const buttons = screen.getAllByRole('button');
    expect(buttons).toHaveLength(300);
    // Nothing has been seen yet: no image requests at all.
    expect(document.querySelectorAll('img')).toHaveLength(0);
    const io = FakeObserver.last!;
    expect(io.observed).toHaveLength(300);
    expect(io.options?.root).toBe(document.querySelector('ol'));

    io.show(1, 2, 3);
    const imgs = Array.from(document.querySelectorAll('img'));
    expect(imgs.map((i) => i.getAttribute('src'))).toEqual([1, 2, 3].map((n) => `/api/v1/tasks/t1/pages/${n}/image?width=320`));
    expect(imgs.every((i) => i.getAttribute('loading') === 'lazy' && i.getAttribute('alt') === '')).toBe(true);
    // Seen once, kept: scrolling on adds more and never removes.
    io.show(150);
    expect(document.querySelectorAll('img')).toHaveLength(4);
    expect(buttons[149].querySelector('img')).toHaveAttribute('src', '/api/v1/tasks/t1/pages/150/image?width=320');
  });

  it('leaves the images to loading="lazy" where IntersectionObserver is missing', () => {
    vi.stubGlobal('IntersectionObserver', undefined);
    render(<Thumbnails taskId="t1" count={3} current={1} review={none} hits={noHits} onSelect={() => {}} />);
    const imgs = Array.from(document.querySelectorAll('img'));
    expect(imgs).toHaveLength(3);
    expect(imgs.every((i) => i.getAttribute('loading') === 'lazy')).toBe(true);
  });

  it('marks the current page, pages to check and pages with hits, in the buttons’ names', async () => {
    const onSelect = vi.fn();
    render(<Thumbnails taskId="t1" count={4} current={2} review={new Set([3])} hits={new Map([[4, 2]])} onSelect={onSelect} />);
    expect(screen.getByRole('button', { name: 'Page 2' })).toHaveAttribute('aria-current', 'page');
    expect(screen.getByRole('button', { name: 'Page 1' })).not.toHaveAttribute('aria-current');
    expect(screen.getByRole('button', { name: 'Page 3 Check result' })).toHaveClass('is-check');
    await userEvent.click(screen.getByRole('button', { name: 'Page 4 2 hits' }));
    expect(onSelect).toHaveBeenCalledWith(4);
  });

  it('gives a thumbnail the page’s shape before its image arrives', () => {
    const page = { number: 1, width: 2000, height: 1000, dpi: 300, text: '', mean_confidence: 90, source: 'ocr', words: [] };
    render(<Thumbnails taskId="t1" count={2} current={1} pages={[page]} review={none} hits={noHits} onSelect={() => {}} />);
    const frames = document.querySelectorAll<HTMLElement>('.viewer-thumb-frame');
    expect(frames[0].style.aspectRatio).toBe('2000 / 1000');
    expect(frames[1].style.aspectRatio).toBe('1 / 1.414');
  });
});
