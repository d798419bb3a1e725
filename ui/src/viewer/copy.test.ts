import { afterEach, describe, expect, it, vi } from 'vitest';
import { copyText } from './copy';

/** setClipboard installs (or removes, with undefined) navigator.clipboard. */
function setClipboard(value: unknown) {
  Object.defineProperty(navigator, 'clipboard', { value, configurable: true });
}

/** setExecCommand makes document.execCommand answer ok (jsdom has none). */
function setExecCommand(ok: boolean | 'throw') {
  const fn = vi.fn(() => {
    if (ok === 'throw') throw new Error('not allowed');
    return ok;
  });
  Object.defineProperty(document, 'execCommand', { value: fn, configurable: true });
  return fn;
}

afterEach(() => {
  setClipboard(undefined);
  Object.defineProperty(document, 'execCommand', { value: undefined, configurable: true });
});

describe('copyText', () => {
  it('uses the Clipboard API where the page has it', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    setClipboard({ writeText });
    const exec = setExecCommand(true);
    expect(await copyText('hello')).toBe('copied');
    expect(writeText).toHaveBeenCalledWith('hello');
    expect(exec).not.toHaveBeenCalled();
  });

  it('falls back to a selected textarea and the copy command when the API refuses', async () => {
    setClipboard({ writeText: vi.fn().mockRejectedValue(new DOMException('denied', 'NotAllowedError')) });
    let copied = '';
    const exec = vi.fn(() => {
      const ta = document.querySelector('textarea')!;
      expect(document.activeElement).toBe(ta);
      copied = ta.value.slice(ta.selectionStart, ta.selectionEnd);
      return true;
    });
    Object.defineProperty(document, 'execCommand', { value: exec, configurable: true });
    const button = document.createElement('button');
    document.body.appendChild(button);
    button.focus();
    expect(await copyText('line one\nline two')).toBe('copied');
    expect(exec).toHaveBeenCalledWith('copy');
    expect(copied).toBe('line one\nline two');
    // The helper textarea is gone and focus is back where it was.
    expect(document.querySelector('textarea')).toBeNull();
    expect(document.activeElement).toBe(button);
    button.remove();
  });

  it('says "manual" when neither way works (no Clipboard API on plain http, copy command refused)', async () => {
    setClipboard(undefined);
    setExecCommand(false);
    expect(await copyText('x')).toBe('manual');
    setExecCommand('throw');
    expect(await copyText('x')).toBe('manual');
  });
});
