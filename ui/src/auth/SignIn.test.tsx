import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAuthStore } from '../stores/authStore';
import { browserNav } from './browserNav';
import { SignIn } from './SignIn';
import { apiError, fakeApi, json, sampleUser, type FakeHandler } from './testApi';

function Where() {
  const loc = useLocation();
  return <div data-testid="where">{loc.pathname + loc.search}</div>;
}

function renderAt(url: string) {
  return render(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route path="/login" element={<SignIn />} />
        <Route path="*" element={<p>Signed-in page</p>} />
      </Routes>
      <Where />
    </MemoryRouter>,
  );
}

const where = () => screen.getByTestId('where').textContent;
const okLogin = () => json(200, { access_token: 't', token_type: 'bearer', expires_in: 3600, refresh_token: 'r', user: sampleUser });
const noProviders = () => ({ browser: [] });

function api(login: FakeHandler, providers: FakeHandler = noProviders) {
  return fakeApi({ 'POST /auth/login': login, 'GET /auth/providers': providers });
}

async function fillAndSubmit(user = userEvent.setup()) {
  await user.type(screen.getByLabelText('Username or email'), ' ada ');
  await user.type(screen.getByLabelText('Password'), 'secret');
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
}

beforeEach(() => {
  useAuthStore.setState({ status: 'signedOut', user: undefined, session: undefined, reason: undefined });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('SignIn', () => {
  it('signs in and goes to the return_to path', async () => {
    const calls = api(okLogin);
    renderAt('/login?return_to=%2Fhistory%3Fpage%3D2');
    expect(screen.getByRole('heading', { name: 'Sign in to ocrbox' })).toBeInTheDocument();
    await fillAndSubmit();
    await waitFor(() => expect(where()).toBe('/history?page=2'));
    expect(screen.getByText('Signed-in page')).toBeInTheDocument();
    const login = calls.find((c) => c.path === '/auth/login');
    expect(login?.body).toEqual({ username: 'ada', password: 'secret' });
    expect(useAuthStore.getState().status).toBe('signedIn');
  });

  it.each(['//evil.com', '/\\evil.com', 'https://evil.com/x', '/%0a/evil.com'.replace('%0a', '\n')])(
    'refuses the off-site return_to %j and goes to /',
    async (bad) => {
      api(okLogin);
      renderAt(`/login?return_to=${encodeURIComponent(bad)}`);
      await fillAndSubmit();
      await waitFor(() => expect(where()).toBe('/'));
    },
  );

  it('redirects at once when already signed in', () => {
    api(okLogin);
    useAuthStore.setState({ status: 'signedIn', user: sampleUser });
    renderAt('/login?return_to=%2Fhistory');
    expect(where()).toBe('/history');
  });

  it('says so on wrong credentials and focuses the password', async () => {
    api(() => apiError(401, 'invalid_credentials', 'wrong username or password'));
    renderAt('/login');
    await fillAndSubmit();
    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong username or password.');
    expect(screen.getByLabelText('Password')).toHaveFocus();
    expect(where()).toBe('/login');
    expect(useAuthStore.getState().status).toBe('signedOut');
  });

  it('asks for both fields before sending anything', async () => {
    const calls = api(okLogin);
    renderAt('/login');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Sign in' }));
    expect(screen.getByText('Enter your username or email.')).toBeInTheDocument();
    expect(screen.getByLabelText('Username or email')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Username or email')).toHaveFocus();
    expect(calls.filter((c) => c.path === '/auth/login')).toHaveLength(0);
  });

  it('counts down a rate limit and keeps the button disabled until it ends', async () => {
    // setImmediate stays real so the fetch answer can be awaited.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    api(() => apiError(429, 'rate_limited', 'too many sign-in attempts', { 'Retry-After': '3' }));
    renderAt('/login');
    fireEvent.change(screen.getByLabelText('Username or email'), { target: { value: 'ada' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    for (let i = 0; i < 20 && !screen.queryByRole('alert'); i++) {
      await act(() => new Promise<void>((r) => setImmediate(r)));
    }
    const button = screen.getByRole('button', { name: 'Sign in' });
    expect(screen.getByRole('alert')).toHaveTextContent('Too many sign-in attempts. Try again in 3 seconds.');
    expect(button).toBeDisabled();

    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByRole('alert')).toHaveTextContent('Try again in 2 seconds.');
    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByRole('alert')).toHaveTextContent('Try again in 1 second.');
    expect(button).toBeDisabled();

    act(() => vi.advanceTimersByTime(1000));
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(button).toBeEnabled();
  });

  it('offers "Try again" when the sign-in service is down, which resubmits', async () => {
    let n = 0;
    const calls = api(() => (++n === 1 ? apiError(503, 'auth_unavailable', 'sign-in is temporarily unavailable') : okLogin()));
    renderAt('/login?return_to=%2Fhistory');
    const user = userEvent.setup();
    await fillAndSubmit(user);
    expect(await screen.findByRole('alert')).toHaveTextContent('The sign-in service is unavailable right now.');
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(where()).toBe('/history'));
    const logins = calls.filter((c) => c.path === '/auth/login');
    expect(logins).toHaveLength(2);
    expect(logins[1].body).toEqual({ username: 'ada', password: 'secret' });
  });

  it('treats an unreachable server as the service being unavailable', async () => {
    api(() => {
      throw new TypeError('Failed to fetch');
    });
    renderAt('/login');
    await fillAndSubmit();
    expect(await screen.findByRole('alert')).toHaveTextContent('The sign-in service is unavailable right now.');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });

  it("shows the server's message for a 422", async () => {
    api(() => apiError(422, 'invalid_request', 'username (at most 256 bytes) or password (at most 1024 bytes) is too long'));
    renderAt('/login');
    await fillAndSubmit();
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Username (at most 256 bytes) or password (at most 1024 bytes) is too long',
    );
  });

  it('shows one button per browser provider that starts that sign-in', async () => {
    api(okLogin, () => ({
      browser: [
        { name: 'google', display_name: 'Google' },
        { name: 'corp', display_name: 'Corporate SSO' },
      ],
    }));
    const assign = vi.spyOn(browserNav, 'assign').mockImplementation(() => undefined);
    renderAt('/login?return_to=%2Fhistory%3Fstatus%3Dfailed');
    const google = await screen.findByRole('button', { name: 'Sign in with Google' });
    expect(screen.getByRole('button', { name: 'Sign in with Corporate SSO' })).toBeInTheDocument();
    await userEvent.setup().click(google);
    expect(assign).toHaveBeenCalledTimes(1);
    const to = new URL(assign.mock.calls[0][0], 'http://localhost');
    expect(to.pathname).toBe('/api/v1/auth/oidc/login');
    expect(to.searchParams.get('provider')).toBe('google');
    expect(to.searchParams.get('return_to')).toBe('/history?status=failed');
  });

  it('keeps the form working when the providers cannot be loaded', async () => {
    const calls = api(okLogin, () => apiError(500, 'internal_error', 'internal server error'));
    renderAt('/login');
    await waitFor(() => expect(calls.some((c) => c.path === '/auth/providers')).toBe(true));
    expect(screen.queryByRole('button', { name: /Sign in with/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    await fillAndSubmit();
    await waitFor(() => expect(where()).toBe('/'));
  });

  it('explains an expired session and a sign-out', () => {
    api(okLogin);
    useAuthStore.setState({ reason: 'expired' });
    const { unmount } = renderAt('/login');
    expect(screen.getByText('Your session has expired. Please sign in again.')).toBeInTheDocument();
    unmount();
    useAuthStore.setState({ reason: 'signedOut' });
    renderAt('/login');
    expect(screen.getByText('You have signed out.')).toBeInTheDocument();
    expect(screen.queryByText(/expired/)).not.toBeInTheDocument();
  });

  it('says so when back from signing out at the identity provider', () => {
    api(okLogin);
    useAuthStore.setState({ reason: undefined });
    renderAt('/login?signed_out=1');
    expect(screen.getByText('You have signed out.')).toBeInTheDocument();
  });

  it('shows an identity provider error from ?error=', () => {
    api(okLogin);
    renderAt('/login?error=access_denied');
    expect(screen.getByRole('alert')).toHaveTextContent('Sign-in was cancelled or refused at your identity provider.');
  });

  it("shows the server callback's login_error wrapped in return_to, and drops it from the way back", async () => {
    api(okLogin);
    renderAt(`/login?return_to=${encodeURIComponent('/?login_error=invalid_scope')}`);
    expect(screen.getByRole('alert')).toHaveTextContent('Sign-in with your identity provider failed: invalid_scope.');
    await fillAndSubmit();
    await waitFor(() => expect(where()).toBe('/'));
  });
});
