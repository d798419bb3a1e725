// The whole app's sign-in round trips: a session that expires on a
// protected page, a 401 from any request, and signing out from the menu.
import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { apiError, fakeApi, json, sampleUser, type FakeHandler } from '../auth/testApi';
import { useAuthStore } from '../stores/authStore';
import { useTaskStore } from '../stores/taskStore';

const emptyPage = { items: [], total: 0, page: 1, page_size: 25 };
const stats = { total: 0, by_status: {}, pages: 0, bytes: 0, avg_duration_ms: 0, per_day: [] };

function api(over: Record<string, FakeHandler> = {}) {
  return fakeApi({
    'GET /auth/me': () => ({ user: sampleUser }),
    'GET /auth/providers': () => ({ browser: [] }),
    'POST /auth/login': () => json(200, { access_token: 't', token_type: 'bearer', expires_in: 3600, refresh_token: 'r', user: sampleUser }),
    'POST /auth/logout': () => json(204, null),
    'GET /tasks': () => emptyPage,
    'GET /history': () => emptyPage,
    'GET /history/stats': () => stats,
    'GET /engines': () => [],
    ...over,
  });
}

function Where() {
  const loc = useLocation();
  return <div data-testid="where">{loc.pathname + loc.search}</div>;
}

function renderApp(at: string) {
  return render(
    <MemoryRouter initialEntries={[at]}>
      <App />
      <Where />
    </MemoryRouter>,
  );
}

const where = () => screen.getByTestId('where').textContent ?? '';
const signInHeading = () => screen.findByRole('heading', { name: 'Sign in to ocrbox' });

beforeEach(() => {
  useAuthStore.setState({ status: 'signedIn', user: sampleUser, session: undefined, reason: undefined });
  useTaskStore.getState().reset();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('session expiry', () => {
  it('sends the user from a protected page to sign-in with return_to, and back after signing in', async () => {
    api();
    renderApp('/history?status=failed');
    expect(await screen.findByRole('button', { name: 'Ada Lovelace' })).toBeInTheDocument();
    expect(where()).toBe('/history?status=failed');

    act(() => useAuthStore.getState().expired());

    expect(await signInHeading()).toBeInTheDocument();
    expect(screen.getByText('Your session has expired. Please sign in again.')).toBeInTheDocument();
    const url = new URL(where(), 'http://localhost');
    expect(url.pathname).toBe('/login');
    expect(url.searchParams.get('return_to')).toBe('/history?status=failed');
    expect(screen.queryByRole('button', { name: 'Ada Lovelace' })).not.toBeInTheDocument();

    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Username or email'), 'ada');
    await user.type(screen.getByLabelText('Password'), 'secret');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(where()).toBe('/history?status=failed'));
    expect(screen.getByRole('button', { name: 'Ada Lovelace' })).toBeInTheDocument();
  }, 15_000); // the whole app, signed in twice: slow on a loaded machine

  it('treats a 401 from any request as an expired session', async () => {
    api({ 'GET /history/stats': () => apiError(401, 'unauthenticated', 'sign in required') });
    renderApp('/history');
    const menu = await screen.findByRole('button', { name: 'Ada Lovelace' });
    await userEvent.setup().click(menu);

    expect(await signInHeading()).toBeInTheDocument();
    expect(screen.getByText('Your session has expired. Please sign in again.')).toBeInTheDocument();
    expect(new URL(where(), 'http://localhost').searchParams.get('return_to')).toBe('/history');
  });

  it('signs out from the user menu to a plain /login', async () => {
    const calls = api();
    renderApp('/');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Ada Lovelace' }));
    await user.click(screen.getByRole('menuitem', { name: 'Sign out' }));

    expect(await signInHeading()).toBeInTheDocument();
    expect(screen.getByText('You have signed out.')).toBeInTheDocument();
    await waitFor(() => expect(where()).toBe('/login'));
    expect(calls.filter((c) => c.method === 'POST' && c.path === '/auth/logout')).toHaveLength(1);
  });
});
