// Where sign-in sends the user afterwards, and what an identity provider's
// failed sign-in left in the URL.

/**
 * safeReturnTo accepts only a path on this site ("/history?page=2"), so the
 * sign-in page cannot be used as an open redirect; anything else is "/".
 * Like the server's check, it refuses protocol-relative ("//host") paths and
 * any backslash (browsers read "/\host" as "//host").
 */
export function safeReturnTo(raw: string | null | undefined): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return '/';
  // Control characters (tabs, newlines) are dropped by URL parsers and could
  // turn "/\t/evil.com" into "//evil.com".
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return '/';
  try {
    const base = 'http://ocrbox.invalid';
    const u = new URL(raw, base);
    if (u.origin !== base) return '/';
    return u.pathname + u.search + u.hash;
  } catch {
    return '/';
  }
}

/** LOGIN_ERROR_PARAM is what the server's OIDC callback adds to "/" when the provider refused. */
export const LOGIN_ERROR_PARAM = 'login_error';

/** SignInTarget is the cleaned return path and any provider error found on the way. */
export interface SignInTarget {
  returnTo: string;
  /** The identity provider's error code (e.g. "access_denied"), if any. */
  providerError?: string;
  /** The provider's human description of it, if it sent one. */
  providerErrorDescription?: string;
}

/**
 * signInTarget reads the sign-in page's query. A failed browser sign-in
 * comes back either as ?error=…&error_description=… on /login, or as
 * "/?login_error=…" (the server's callback), which the sign-in guard wraps
 * into return_to — so the error is looked for there too, and removed from
 * the path the user returns to.
 */
export function signInTarget(search: string): SignInTarget {
  const q = new URLSearchParams(search);
  let returnTo = safeReturnTo(q.get('return_to'));
  let providerError = q.get('error') || q.get(LOGIN_ERROR_PARAM) || undefined;
  const providerErrorDescription = q.get('error_description') || undefined;

  const qm = returnTo.indexOf('?');
  if (qm >= 0) {
    const inner = new URLSearchParams(returnTo.slice(qm + 1));
    const nested = inner.get(LOGIN_ERROR_PARAM);
    if (nested !== null) {
      providerError ??= nested || undefined;
      inner.delete(LOGIN_ERROR_PARAM);
      const rest = inner.toString();
      returnTo = returnTo.slice(0, qm) + (rest ? `?${rest}` : '');
    }
  }
  return { returnTo, providerError, providerErrorDescription };
}

const KNOWN_PROVIDER_ERRORS: Record<string, string> = {
  access_denied: 'Sign-in was cancelled or refused at your identity provider.',
  login_required: 'Your identity provider asked you to sign in again.',
  consent_required: 'Your identity provider needs your consent before you can sign in.',
  interaction_required: 'Your identity provider needs you to finish signing in there first.',
  temporarily_unavailable: 'Your identity provider is unavailable right now. Try again in a moment.',
  server_error: 'Your identity provider had a problem. Try again in a moment.',
};

/** describeProviderError is one sentence about a failed browser sign-in. */
export function describeProviderError(code: string, description?: string): string {
  const known = KNOWN_PROVIDER_ERRORS[code];
  if (known) return description ? `${known} (${description})` : known;
  const detail = description ? `${description} (${code})` : code;
  return `Sign-in with your identity provider failed: ${detail}.`;
}
