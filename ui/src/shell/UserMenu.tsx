import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useNavigate } from 'react-router';
import { authService } from '../api/authService';
import type { Stats, User } from '../api/types';
import { browserNav } from '../auth/browserNav';
import { Skeleton } from '../components/Spinner';
import { formatBytes } from '../components/format';
import { useAuthStore } from '../stores/authStore';
import { useTaskStore } from '../stores/taskStore';

/** displayName is how the user is called in the app: their name, else their email. */
export function displayName(u: Pick<User, 'name' | 'email'>): string {
  return u.name?.trim() || u.email;
}

/** initials are the avatar's letters: first and last word of the name, or the email's first letter. */
export function initials(u: Pick<User, 'name' | 'email'>): string {
  const words = (u.name ?? '').trim().split(/\s+/).filter(Boolean);
  if (words.length >= 2) return (first(words[0]) + first(words[words.length - 1])).toUpperCase();
  if (words.length === 1) return first(words[0]).toUpperCase();
  return first(u.email || '?').toUpperCase();
}

// first takes a whole character, not half of a surrogate pair.
function first(s: string): string {
  return Array.from(s)[0] ?? '';
}

type StatsState = { state: 'loading' } | { state: 'ready'; stats: Stats } | { state: 'failed' };

const number = new Intl.NumberFormat();

/**
 * UserMenu is the account button at the right of the header and its popup:
 * who is signed in (the name, also on phones where the button shows only
 * the avatar), their usage (tasks, pages, storage), and the menu with
 * "Sign out". It follows the WAI-ARIA menu button pattern: Enter, Space or
 * the arrow keys open it, arrows and Home/End move between items, Escape
 * closes it and returns focus to the button, and a click outside closes it.
 */
export function UserMenu({ user }: { user: User }) {
  const [open, setOpen] = useState(false);
  const [stats, setStats] = useState<StatsState>({ state: 'loading' });
  const [signingOut, setSigningOut] = useState(false);
  const wrapRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  // Which item to focus once the menu is shown: first or last.
  const focusOnOpen = useRef<'first' | 'last'>('first');
  const statsRequest = useRef(0);
  const navigate = useNavigate();
  const menuId = useId();
  const name = displayName(user);

  const items = () => Array.from(menuRef.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);

  const close = useCallback((returnFocus: boolean) => {
    setOpen(false);
    if (returnFocus) buttonRef.current?.focus();
  }, []);

  const show = (focus: 'first' | 'last') => {
    focusOnOpen.current = focus;
    setOpen(true);
    // Fresh numbers on every opening; a late answer to an older opening is ignored.
    const req = ++statsRequest.current;
    setStats({ state: 'loading' });
    authService
      .stats()
      .then((s) => req === statsRequest.current && setStats({ state: 'ready', stats: s }))
      .catch(() => req === statsRequest.current && setStats({ state: 'failed' }));
  };

  useEffect(() => {
    if (!open) return;
    const list = items();
    (focusOnOpen.current === 'last' ? list[list.length - 1] : list[0])?.focus();
    const onDown = (e: MouseEvent | TouchEvent) => {
      if (!wrapRef.current?.contains(e.target as Node)) close(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('touchstart', onDown);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('touchstart', onDown);
    };
  }, [open, close]);

  function onButtonKey(e: KeyboardEvent) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      show(e.key === 'ArrowUp' ? 'last' : 'first');
    }
  }

  function onMenuKey(e: KeyboardEvent) {
    const list = items();
    const at = list.indexOf(document.activeElement as HTMLElement);
    const move = (i: number) => list[(i + list.length) % list.length]?.focus();
    switch (e.key) {
      case 'Escape':
        e.preventDefault();
        e.stopPropagation();
        close(true);
        break;
      case 'ArrowDown':
        e.preventDefault();
        move(at + 1);
        break;
      case 'ArrowUp':
        e.preventDefault();
        move(at < 0 ? -1 : at - 1);
        break;
      case 'Home':
        e.preventDefault();
        move(0);
        break;
      case 'End':
        e.preventDefault();
        move(-1);
        break;
      case 'Tab':
        // Leaving the menu closes it; focus moves on as usual.
        close(false);
        break;
    }
  }

  async function signOut() {
    if (signingOut) return;
    setSigningOut(true);
    let endSession: string | undefined;
    try {
      endSession = await useAuthStore.getState().logout();
    } catch {
      // The store has signed out locally even when the server could not be told.
    }
    useTaskStore.getState().reset();
    if (endSession) {
      // Signed in through an identity provider: end its session too; it
      // sends the browser back to the sign-in page.
      browserNav.assign(endSession);
      return;
    }
    navigate('/login', { replace: true });
  }

  return (
    <div className="user-menu" ref={wrapRef}>
      {/* Named by its visible text (the name; on phones visually hidden, still the name). */}
      <button
        ref={buttonRef}
        type="button"
        className="user-menu-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => (open ? close(false) : show('first'))}
        onKeyDown={onButtonKey}
      >
        <span className="avatar" aria-hidden="true">
          {initials(user)}
        </span>
        <span className="user-menu-name">{name}</span>
        <svg className="user-menu-caret" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true">
          <path d="m6 9 6 6 6-6" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
        </svg>
      </button>
      {open && (
        // The popup shows who is signed in and their usage; only its actions
        // form the menu (a menu holds menu items, not a definition list).
        <div className="user-menu-popup">
          <div className="user-menu-account">
            <div className="user-menu-display-name">{name}</div>
            {name !== user.email && <div className="user-menu-email">{user.email}</div>}
            {user.provider && <div className="muted user-menu-provider">Sign-in provider: {user.provider}</div>}
          </div>
          <div className="user-menu-sep" />
          <div role="group" aria-label="Your usage" aria-busy={stats.state === 'loading'} className="user-menu-stats">
            <UsageStats stats={stats} />
          </div>
          <div className="user-menu-sep" />
          <div ref={menuRef} id={menuId} role="menu" aria-label={name} onKeyDown={onMenuKey}>
            <button
              type="button"
              role="menuitem"
              tabIndex={-1}
              className="user-menu-item"
              aria-disabled={signingOut || undefined}
              onClick={() => void signOut()}
            >
              <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                <path d="M15 4h3a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-3M10 17l5-5-5-5M15 12H3" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
              </svg>
              {signingOut ? 'Signing out…' : 'Sign out'}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

/** UsageStats is the menu's usage summary, with placeholders while it loads. */
function UsageStats({ stats }: { stats: StatsState }) {
  if (stats.state === 'failed') return <p className="muted user-menu-stats-none">Stats unavailable</p>;
  const rows: [string, (s: Stats) => string][] = [
    ['Tasks', (s) => number.format(s.total ?? 0)],
    ['Pages', (s) => number.format(s.pages ?? 0)],
    ['Storage used', (s) => formatBytes(s.bytes ?? 0)],
  ];
  return (
    <dl className="user-menu-dl">
      {rows.map(([label, value]) => (
        <div key={label} className="user-menu-stat">
          <dt>{label}</dt>
          <dd>{stats.state === 'ready' ? value(stats.stats) : <Skeleton width="3.5em" />}</dd>
        </div>
      ))}
      {stats.state === 'loading' && <span className="visually-hidden">Loading your usage…</span>}
    </dl>
  );
}
