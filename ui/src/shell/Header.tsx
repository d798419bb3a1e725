import { useEffect, type MouseEvent } from 'react';
import { Link, NavLink, useLocation } from 'react-router';
import { runningCount, useTaskStore } from '../stores/taskStore';
import { useAuthStore } from '../stores/authStore';
import { UserMenu } from './UserMenu';
import './header.css';

/**
 * mainTarget is where the skip link and a new page put the focus: the
 * page's heading, else its main (each page's <main> has id="main", the
 * skip link's target without script).
 */
function mainTarget(): HTMLElement | null {
  const main = document.querySelector<HTMLElement>('main');
  const target = main?.querySelector<HTMLElement>('h1') ?? main;
  if (target && !target.hasAttribute('tabindex')) target.tabIndex = -1;
  return target ?? null;
}

/**
 * useFocusOnNavigate moves the focus to the new page's heading after a
 * navigation (sign-in, a header link), so keyboard and screen reader
 * users start at the top of what they asked for instead of on <body>.
 * Focus already somewhere on the page (a dialog, a field) stays put.
 */
function useFocusOnNavigate() {
  const { pathname } = useLocation();
  useEffect(() => {
    const frame = requestAnimationFrame(() => {
      const at = document.activeElement;
      const lost = !at || at === document.body || !!at.closest('.app-header');
      if (!lost || document.querySelector('[role="dialog"]')) return;
      mainTarget()?.focus({ preventScroll: true });
    });
    return () => cancelAnimationFrame(frame);
  }, [pathname]);
}

/** skipToMain follows the skip link without changing the URL's hash (the router owns the URL). */
function skipToMain(e: MouseEvent) {
  e.preventDefault();
  // Focusing scrolls the heading into view.
  mainTarget()?.focus();
}

/**
 * Header is the sticky top bar of the signed-in app: a skip link, the
 * ocrbox link, the navigation (with a badge counting running tasks, kept
 * current by the event stream: stores/taskEvents.ts) and the user menu.
 * It also moves the focus to each new page's heading.
 */
export function Header() {
  const running = useTaskStore(runningCount);
  const user = useAuthStore((s) => s.user);
  useFocusOnNavigate();

  return (
    <>
      <header className="app-header">
        {/* First in the page (the first Tab) and inside the banner landmark. */}
        <a href="#main" className="skip-link" onClick={skipToMain}>
          Skip to main content
        </a>
        <div className="app-header-inner">
          <Link to="/" className="app-brand">
            <svg className="app-brand-mark" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
              <path
                d="M4 7V5a1 1 0 0 1 1-1h2M17 4h2a1 1 0 0 1 1 1v2M20 17v2a1 1 0 0 1-1 1h-2M7 20H5a1 1 0 0 1-1-1v-2M8 9h8M8 12h8M8 15h5"
                fill="none"
                stroke="currentColor"
                strokeWidth="2"
                strokeLinecap="round"
              />
            </svg>
            ocrbox
          </Link>
          <nav className="app-nav" aria-label="Main">
            <NavLink to="/" end className="app-nav-link">
              <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                <path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
              </svg>
              <span className="app-nav-label">Upload</span>
            </NavLink>
            <NavLink to="/history" className="app-nav-link">
              <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                <path d="M3.5 12a8.5 8.5 0 1 0 2.5-6M3.5 4v4h4M12 7.5V12l3 2" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
              </svg>
              {/* The full label stays in the accessible name; phones see "History". */}
              <span className="app-nav-label app-nav-label-long">Task history</span>
              <span className="app-nav-label app-nav-label-short" aria-hidden="true">
                History
              </span>
              {running > 0 && (
                // role img: a plain span may not carry a label (axe aria-prohibited-attr).
                <span className="count-badge" role="img" aria-label={`${running} running`}>
                  {running}
                </span>
              )}
            </NavLink>
            <NavLink to="/stats" className="app-nav-link">
              <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                <path d="M4 20h16M7 16v-5M12 16V6M17 16v-8" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
              </svg>
              <span className="app-nav-label app-nav-label-long">Statistics</span>
              <span className="app-nav-label app-nav-label-short" aria-hidden="true">
                Stats
              </span>
            </NavLink>
          </nav>
          <span className="spacer" />
          {user && <UserMenu user={user} />}
        </div>
      </header>
    </>
  );
}
