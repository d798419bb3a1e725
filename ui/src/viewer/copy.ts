// Copying text to the clipboard: the async Clipboard API where the page may
// use it (a secure context, permission), else the old selection-and-copy
// command, else the caller shows the text for the person to copy by hand.

/** CopyResult says how a copy went: done, or the text needs copying by hand. */
export type CopyResult = 'copied' | 'manual';

/** legacyCopy copies through a hidden textarea and execCommand('copy'). */
function legacyCopy(text: string): boolean {
  if (typeof document === 'undefined' || typeof document.execCommand !== 'function') return false;
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  // Off screen but rendered: a hidden element cannot be selected.
  ta.style.position = 'fixed';
  ta.style.top = '-1000px';
  ta.style.opacity = '0';
  const before = document.activeElement as HTMLElement | null;
  document.body.appendChild(ta);
  ta.focus();
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  before?.focus?.();
  return ok;
}

/**
 * copyText puts text on the clipboard. Plain http on another host than
 * localhost has no Clipboard API, and a browser may refuse it: then the old
 * way is tried, and 'manual' means neither worked.
 */
export async function copyText(text: string): Promise<CopyResult> {
  const clip = typeof navigator !== 'undefined' ? navigator.clipboard : undefined;
  if (clip?.writeText) {
    try {
      await clip.writeText(text);
      return 'copied';
    } catch {
      // refused (no permission, document not focused): try the old way
    }
  }
  return legacyCopy(text) ? 'copied' : 'manual';
}
