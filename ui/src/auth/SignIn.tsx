import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type RefObject } from 'react';
import { Navigate, useLocation } from 'react-router';
import { authService } from '../api/authService';
import { ApiError } from '../api/client';
import { useFetch } from '../api/useFetch';
import type { BrowserProvider } from '../api/types';
import { describeError } from '../components/ErrorBanner';
import { useAuthStore } from '../stores/authStore';
import { browserNav } from './browserNav';
import { describeProviderError, signInTarget } from './returnTo';
import './signin.css';

/** Problem is why the last sign-in attempt failed, as the form explains it. */
type Problem =
  | { kind: 'credentials' }
  | { kind: 'rateLimited'; until: number; seconds: number }
  | { kind: 'unavailable' }
  | { kind: 'message'; text: string; requestId?: string };

/** problemFrom sorts a failed sign-in into what the user can do about it. */
function problemFrom(e: unknown): Problem {
  if (e instanceof ApiError) {
    if (e.status === 401) return { kind: 'credentials' };
    if (e.status === 429 && e.retryAfter !== undefined && e.retryAfter > 0) {
      return { kind: 'rateLimited', until: Date.now() + e.retryAfter * 1000, seconds: Math.ceil(e.retryAfter) };
    }
    if (e.status === 429) return { kind: 'message', text: 'Too many sign-in attempts. Try again in a moment.' };
    if (e.isNetwork || e.status === 502 || e.status === 503 || e.status === 504) return { kind: 'unavailable' };
    if (e.status === 422) return { kind: 'message', text: sentence(e.message), requestId: e.requestId };
    return { kind: 'message', text: describeError(e), requestId: e.requestId };
  }
  return { kind: 'message', text: describeError(e) };
}

/** sentence capitalises the server's lower-case messages for display. */
function sentence(s: string): string {
  const t = s.trim();
  if (!t) return 'The sign-in request was not accepted.';
  return t[0].toUpperCase() + t.slice(1);
}

/**
 * useSecondsLeft counts down to a deadline, re-rendering while it runs;
 * seconds is the count when the deadline was set (the first render shows it).
 */
function useSecondsLeft(until: number | undefined, seconds: number): number {
  const [tick, setTick] = useState<{ until?: number; left: number }>({ left: 0 });
  useEffect(() => {
    if (until === undefined) return;
    // A short tick keeps the number right even when the tab's timers lag.
    const t = setInterval(() => setTick({ until, left: Math.max(0, Math.ceil((until - Date.now()) / 1000)) }), 250);
    return () => clearInterval(t);
  }, [until]);
  if (until === undefined) return 0;
  return tick.until === until ? tick.left : seconds;
}

/**
 * SignIn is the sign-in page: username-or-email and password, plus one
 * button per browser (OIDC) provider. It returns the user to the local
 * path in ?return_to= afterwards, and explains why they are here (session
 * expired, signed out, provider error) and why a sign-in failed.
 */
export function SignIn() {
  const status = useAuthStore((s) => s.status);
  const reason = useAuthStore((s) => s.reason);
  const location = useLocation();
  const target = useMemo(() => signInTarget(location.search), [location.search]);
  // Back from the identity provider's logout page (RP-initiated logout):
  // the app was reloaded on the way, so the reason comes in the URL.
  const signedOutAtIdP = useMemo(() => new URLSearchParams(location.search).has('signed_out'), [location.search]);

  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [fieldErrors, setFieldErrors] = useState<{ username?: string; password?: string }>({});
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  // Bumped on every failure so a repeated message is announced again.
  const [attempt, setAttempt] = useState(0);
  const [providerErrorDismissed, setProviderErrorDismissed] = useState(false);
  // The providers are an extra: if they cannot be loaded, the password form
  // still works, so a failure is not shown.
  const providersAnswer = useFetch('providers', () => authService.providers()).data;
  const providers: BrowserProvider[] = Array.isArray(providersAnswer?.browser) ? providersAnswer.browser : [];
  const [leavingFor, setLeavingFor] = useState<string>();

  const usernameRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const retryRef = useRef<HTMLButtonElement>(null);
  const inFlight = useRef(false);
  const focusRetry = useRef(false);
  const ids = { user: useId(), pass: useId(), userErr: useId(), passErr: useId() };

  const cooldownUntil = problem?.kind === 'rateLimited' ? problem.until : undefined;
  const cooldown = useSecondsLeft(cooldownUntil, problem?.kind === 'rateLimited' ? problem.seconds : 0);

  useEffect(() => {
    document.title = 'Sign in · ocrbox';
  }, []);


  // The rate limit is over: the message has done its job.
  if (cooldownUntil !== undefined && cooldown === 0) setProblem(undefined);

  // A Retry that failed again: the new message's Retry button takes the focus.
  useEffect(() => {
    if (!focusRetry.current) return;
    focusRetry.current = false;
    if (problem?.kind === 'unavailable') retryRef.current?.focus();
  }, [problem]);

  if (status === 'signedIn') return <Navigate to={target.returnTo} replace />;

  async function submit(fromRetry = false) {
    if (inFlight.current || cooldown > 0) return;
    const errs: typeof fieldErrors = {};
    if (!username.trim()) errs.username = 'Enter your username or email.';
    if (!password) errs.password = 'Enter your password.';
    setFieldErrors(errs);
    if (errs.username || errs.password) {
      (errs.username ? usernameRef : passwordRef).current?.focus();
      return;
    }
    inFlight.current = true;
    setBusy(true);
    setProviderErrorDismissed(true);
    try {
      // Success flips the store to signedIn, and the render above redirects.
      await useAuthStore.getState().login(username.trim(), password);
    } catch (e) {
      const p = problemFrom(e);
      focusRetry.current = fromRetry;
      setProblem(p);
      setAttempt((a) => a + 1);
      if (p.kind === 'credentials') {
        passwordRef.current?.focus();
        passwordRef.current?.select();
      }
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void submit();
  }

  function signInWith(p: BrowserProvider) {
    setLeavingFor(p.name);
    browserNav.assign(authService.browserLoginURL(p.name, target.returnTo));
  }

  const showProviderError = target.providerError && !providerErrorDismissed;

  return (
    <main className="signin-page">
      <div className="card signin-card">
        <div className="signin-mark" aria-hidden="true">
          <svg viewBox="0 0 24 24" width="28" height="28">
            <path
              d="M4 7V5a1 1 0 0 1 1-1h2M17 4h2a1 1 0 0 1 1 1v2M20 17v2a1 1 0 0 1-1 1h-2M7 20H5a1 1 0 0 1-1-1v-2M8 9h8M8 12h8M8 15h5"
              fill="none"
              stroke="currentColor"
              strokeWidth="1.8"
              strokeLinecap="round"
            />
          </svg>
        </div>
        <h1>Sign in to ocrbox</h1>

        {reason === 'expired' && (
          <div className="banner banner-info" role="status">
            Your session has expired. Please sign in again.
          </div>
        )}
        {(reason === 'signedOut' || (reason !== 'expired' && signedOutAtIdP)) && (
          <div className="banner banner-info" role="status">
            You have signed out.
          </div>
        )}
        {showProviderError && (
          <div className="banner banner-error" role="alert">
            {describeProviderError(target.providerError!, target.providerErrorDescription)}
          </div>
        )}
        {problem && <ProblemMessage key={attempt} problem={problem} seconds={cooldown} busy={busy} retryRef={retryRef} onRetry={() => void submit(true)} />}

        <form className="stack signin-form" noValidate onSubmit={onSubmit} aria-busy={busy}>
          <div className="field">
            <label htmlFor={ids.user}>Username or email</label>
            <input
              ref={usernameRef}
              id={ids.user}
              name="username"
              type="text"
              autoComplete="username"
              autoCapitalize="none"
              autoCorrect="off"
              spellCheck={false}
              autoFocus
              value={username}
              onChange={(e) => {
                setUsername(e.target.value);
                if (fieldErrors.username) setFieldErrors((f) => ({ ...f, username: undefined }));
              }}
              aria-invalid={fieldErrors.username ? true : undefined}
              aria-describedby={fieldErrors.username ? ids.userErr : undefined}
            />
            {fieldErrors.username && (
              <span id={ids.userErr} className="field-error">
                {fieldErrors.username}
              </span>
            )}
          </div>
          <div className="field">
            <label htmlFor={ids.pass}>Password</label>
            <input
              ref={passwordRef}
              id={ids.pass}
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => {
                setPassword(e.target.value);
                if (fieldErrors.password) setFieldErrors((f) => ({ ...f, password: undefined }));
              }}
              aria-invalid={fieldErrors.password ? true : undefined}
              aria-describedby={fieldErrors.password ? ids.passErr : undefined}
            />
            {fieldErrors.password && (
              <span id={ids.passErr} className="field-error">
                {fieldErrors.password}
              </span>
            )}
          </div>
          <button type="submit" className="btn btn-primary signin-submit" disabled={busy || cooldown > 0}>
            {busy && <span className="spinner spinner-sm" aria-hidden="true" />}
            Sign in
          </button>
          {/* The button's name stays "Sign in"; this tells screen readers what is happening. */}
          <span className="visually-hidden" role="status">
            {busy ? 'Signing in…' : ''}
          </span>
        </form>

        {providers.length > 0 && (
          <div className="signin-providers">
            <div className="signin-divider">
              <span>or</span>
            </div>
            {providers.map((p) => (
              <button
                key={p.name}
                type="button"
                className="btn signin-provider"
                disabled={leavingFor !== undefined}
                onClick={() => signInWith(p)}
              >
                {leavingFor === p.name && <span className="spinner spinner-sm" aria-hidden="true" />}
                Sign in with {p.display_name || p.name}
              </button>
            ))}
          </div>
        )}
      </div>
    </main>
  );
}

/** ProblemMessage is the alert under the heading after a failed sign-in. */
function ProblemMessage({
  problem,
  seconds,
  busy,
  retryRef,
  onRetry,
}: {
  problem: Problem;
  seconds: number;
  busy: boolean;
  retryRef: RefObject<HTMLButtonElement | null>;
  onRetry: () => void;
}) {
  switch (problem.kind) {
    case 'credentials':
      return (
        <div className="banner banner-error" role="alert">
          Wrong username or password.
        </div>
      );
    case 'rateLimited':
      return (
        <div className="banner banner-error" role="alert">
          <span>
            Too many sign-in attempts. Try again in{' '}
            {/* Announced once with the alert, not on every tick. */}
            <span aria-live="off">
              {seconds} {seconds === 1 ? 'second' : 'seconds'}
            </span>
            .
          </span>
        </div>
      );
    case 'unavailable':
      return (
        <div className="banner banner-error" role="alert">
          <span>The sign-in service is unavailable right now.</span>
          <button
            ref={retryRef}
            type="button"
            className="btn btn-small"
            // aria-disabled, not disabled: the button keeps focus while retrying.
            aria-disabled={busy || undefined}
            onClick={() => !busy && onRetry()}
          >
            {busy && <span className="spinner spinner-sm" aria-hidden="true" />}
            Try again
          </button>
        </div>
      );
    case 'message':
      return (
        <div className="banner banner-error" role="alert">
          <span>
            {problem.text}
            {problem.requestId && <small className="muted"> (request {problem.requestId})</small>}
          </span>
        </div>
      );
  }
}
