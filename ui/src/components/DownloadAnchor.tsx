import type { MouseEvent, ReactNode } from 'react';
import { ApiError, raw } from '../api/client';

/**
 * sessionAlive asks the server whether the session still stands. A 401
 * goes through the API client's unauthorized hook, so the app signs out
 * and sends the user to sign-in with the way back (return_to). Anything
 * else (offline, a 5xx) lets the download try on its own.
 */
export async function sessionAlive(): Promise<boolean> {
  try {
    await raw('/auth/me', { attempts: 1 });
    return true;
  } catch (e) {
    return !(e instanceof ApiError && e.status === 401);
  }
}

/** followDownload starts a download the way a plain link would. */
export function followDownload(href: string, filename: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/**
 * DownloadAnchor is a download link that first checks the session: after
 * it ended, a plain link would hand the browser a 401 page (or fail
 * silently); this one goes to sign-in and comes back here instead.
 * Modified clicks (new tab, save as) are left to the browser.
 */
export function DownloadAnchor({
  href,
  filename,
  className,
  children,
  'aria-label': ariaLabel,
}: {
  href: string;
  filename: string;
  className?: string;
  children: ReactNode;
  'aria-label'?: string;
}) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    e.stopPropagation(); // a row around the link must not open too
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    void sessionAlive().then((ok) => ok && followDownload(href, filename));
  };
  return (
    <a className={className} href={href} download={filename} onClick={onClick} aria-label={ariaLabel}>
      {children}
    </a>
  );
}
