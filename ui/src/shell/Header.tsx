import { Link, NavLink } from 'react-router';
import { runningCount, useTaskStore } from '../stores/taskStore';
import { useAuthStore } from '../stores/authStore';
import { UserMenu } from './UserMenu';
import './header.css';

/**
 * Header is the sticky top bar of the signed-in app: the ocrbox link, the
 * navigation (with a badge counting running tasks, kept current by the
 * event stream: stores/taskEvents.ts) and the user menu.
 */
export function Header() {
  const running = useTaskStore(runningCount);
  const user = useAuthStore((s) => s.user);

  return (
    <header className="app-header">
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
              <span className="count-badge" aria-label={`${running} running`}>
                {running}
              </span>
            )}
          </NavLink>
        </nav>
        <span className="spacer" />
        {user && <UserMenu user={user} />}
      </div>
    </header>
  );
}
