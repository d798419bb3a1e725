import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { formatTitle, useDocumentTitle, type TitleLevel } from './documentTitle';

function Titled({ title, level, children }: { title: string; level?: TitleLevel; children?: React.ReactNode }) {
  useDocumentTitle(title, level);
  return <>{children}</>;
}

describe('useDocumentTitle', () => {
  it('names the page, lets an open dialog (mounted first, as a child) win, and gives the page its title back', () => {
    const { rerender, unmount } = render(
      <Titled title="History">
        <Titled title="scan.pdf" level="dialog" />
      </Titled>,
    );
    expect(document.title).toBe('scan.pdf · ocrbox');
    rerender(<Titled title="History" />);
    expect(document.title).toBe('History · ocrbox');
    rerender(<Titled title="Statistics" />);
    expect(document.title).toBe('Statistics · ocrbox');
    unmount();
    expect(document.title).toBe('ocrbox');
  });

  it('formats titles', () => {
    expect(formatTitle('Upload')).toBe('Upload · ocrbox');
    expect(formatTitle(undefined)).toBe('ocrbox');
  });
});
