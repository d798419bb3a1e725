// Who is signed in, and keeping the session alive.
import { create } from 'zustand';
import { ApiError, onUnauthorized } from '../api/client';
import { authService } from '../api/authService';
import type { SessionInfo, User } from '../api/types';

export type AuthStatus = 'unknown' | 'signedIn' | 'signedOut';

/** Why the user is on the sign-in page, for the message there. */
export type SignedOutReason = 'expired' | 'signedOut' | undefined;

export interface AuthState {
  status: AuthStatus;
  user?: User;
  session?: SessionInfo;
  reason?: SignedOutReason;
  /** init asks the server who we are (the cookie decides); call once at start. */
  init(): Promise<void>;
  /** login signs in; it throws the ApiError for the form to explain. */
  login(username: string, password: string): Promise<void>;
  /** logout resolves to the identity provider's end-session page, if any. */
  logout(): Promise<string | undefined>;
  /** expired marks the session as gone (a 401 anywhere). */
  expired(): void;
  /** refresh renews the session now; on failure the session is over. */
  refresh(): Promise<void>;
}

/** REFRESH_MARGIN_MS: renew this long before the session would end. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * refreshDelay is how long to wait before renewing a session: a margin
 * before the earlier of its absolute and idle expiry, at least 10 s, and
 * never beyond what setTimeout can hold.
 */
export function refreshDelay(s: SessionInfo, now = Date.now()): number {
  // Whichever end is readable counts; with neither, wait as long as allowed.
  const ends = [Date.parse(s.expires_at), Date.parse(s.idle_expires_at)].filter((t) => !Number.isNaN(t));
  if (ends.length === 0) return 0x7fffffff;
  const end = Math.min(...ends);
  const span = end - now;
  const margin = Math.min(REFRESH_MARGIN_MS, span / 2);
  return Math.min(Math.max(span - margin, 10_000), 0x7fffffff);
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;

function schedule(get: () => AuthState, s?: SessionInfo) {
  clearTimeout(refreshTimer);
  refreshTimer = undefined;
  if (!s) return;
  refreshTimer = setTimeout(() => void get().refresh(), refreshDelay(s));
}

export const useAuthStore = create<AuthState>()((set, get) => ({
  status: 'unknown',

  async init() {
    onUnauthorized(() => get().expired());
    try {
      const me = await authService.me();
      set({ status: 'signedIn', user: me.user, session: me.session, reason: undefined });
      schedule(get, me.session);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        set({ status: 'signedOut', user: undefined, session: undefined });
        return;
      }
      throw e;
    }
  },

  async login(username, password) {
    const res = await authService.login(username, password);
    set({ status: 'signedIn', user: res.user, session: res.session, reason: undefined });
    schedule(get, res.session);
  },

  async logout() {
    schedule(get, undefined);
    try {
      const { end_session_url: endSession } = await authService.logout();
      return endSession;
    } finally {
      set({ status: 'signedOut', user: undefined, session: undefined, reason: 'signedOut' });
    }
  },

  expired() {
    if (get().status !== 'signedIn') return;
    schedule(get, undefined);
    set({ status: 'signedOut', user: undefined, session: undefined, reason: 'expired' });
  },

  async refresh() {
    try {
      const res = await authService.refresh();
      set({ user: res.user, session: res.session });
      schedule(get, res.session);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        get().expired();
        return;
      }
      // An outage: try again in a minute while the session may still be valid.
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => void get().refresh(), 60_000);
    }
  },
}));
