import { act, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PageView } from './PageView';
import { PAGES } from './testData';
import { TextView } from './TextView';

/** observer is the last IntersectionObserver made: its callback and what it watches. */
let observer: { cb: IntersectionObserverCallback; observed: Element[] } | undefined;

beforeEach(() => {
  vi.stubGlobal(
    'IntersectionObserver',
    class {
      observed: Element[] = [];
      constructor(public cb: IntersectionObserverCallback) {
        // eslint-disable-next-line @typescript-eslint/no-this-alias -- the test drives this instance
        observer = this;
      }
      observe(el: Element) {
        this.observed.push(el);
      }
      disconnect() {}
      unobserve() {}
      takeRecords() {
        return [];
      }
    },
  );
  Element.prototype.scrollIntoView = vi.fn();
});
afterEach(() => {
  vi.unstubAllGlobals();
  observer = undefined;
});

/** reading reports the section of page n as the one crossing the reading band. */
function reading(n: number) {
  const target = observer!.observed.find((el) => (el as HTMLElement).dataset.page === String(n))!;
  act(() => observer!.cb([{ target, isIntersecting: true } as unknown as IntersectionObserverEntry], observer as unknown as IntersectionObserver));
}

describe('TextView', () => {
  it('shows every page under its marker, and the search’s words marked', () => {
    render(<TextView pages={PAGES} current={1} found={new Map([[2, new Set(['invoice'])]])} />);
    expect(screen.getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toEqual(['Page 1', 'Page 2']);
    const p2 = screen.getByRole('region', { name: 'Page 2' });
    expect(within(p2).getByText('Invoice').tagName).toBe('MARK');
    expect(within(screen.getByRole('region', { name: 'Page 1' })).queryByRole('mark')).toBeNull();
  });

  it('says which page is being read as it scrolls, without jumping back to it', () => {
    const onVisible = vi.fn();
    const { rerender } = render(<TextView pages={PAGES} current={1} found={new Map()} onVisible={onVisible} />);
    // Opening on page 1 leaves the window where it is.
    expect(Element.prototype.scrollIntoView).not.toHaveBeenCalled();
    reading(2);
    expect(onVisible).toHaveBeenCalledWith(2);
    rerender(<TextView pages={PAGES} current={2} found={new Map()} onVisible={onVisible} />);
    expect(Element.prototype.scrollIntoView).not.toHaveBeenCalled();
    // A page chosen elsewhere (a thumbnail, a key) is scrolled to.
    rerender(<TextView pages={PAGES} current={1} found={new Map()} onVisible={onVisible} />);
    expect(Element.prototype.scrollIntoView).toHaveBeenCalledTimes(1);
  });
});

describe('PageView fit', () => {
  it('fits the whole page in the window on demand', () => {
    const { rerender } = render(<PageView taskId="t1" n={1} filename="a.pdf" page={PAGES[0]} layer shade={false} doubt={60} hits={[]} />);
    expect(screen.getByTestId('page-sheet')).not.toHaveClass('is-fit-page');
    rerender(<PageView taskId="t1" n={1} filename="a.pdf" page={PAGES[0]} layer shade={false} doubt={60} hits={[]} fit="page" />);
    expect(screen.getByTestId('page-sheet')).toHaveClass('is-fit-page');
  });
});
