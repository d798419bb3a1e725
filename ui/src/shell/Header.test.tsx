import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Task, TaskStatus } from '../api/types';
import { browserNav } from '../auth/browserNav';
import { apiError, fakeApi, json, sampleUser, type FakeHandler } from '../auth/testApi';
import { useAuthStore } from '../stores/authStore';
import { useTaskStore } from '../stores/taskStore';
import { connectTaskEvents } from '../stores/taskEvents';
import { FakeEventSource, installFakes } from '../upload/testFakes';
import { Header } from './Header';
import { displayName, initials } from './UserMenu';

function task(id: string, status: TaskStatus): Task {
  return {
    id,
    filename: `${id}.png`,
    status,
    engine: 'tesseract',
    lang: 'eng',
    outputs: ['txt'], autorotate: true, pdf_output: 'pdfa', pdf_text: 'skip', error_code: '', retryable: false, review: null,
    pages_total: 1,
    pages_done: 0,
    attempts: 1,
    error: '',
    input_bytes: 10,
    created_at: '2025-01-01T00:00:00Z',
    started_at: null,
    completed_at: null,
    duration_ms: 0,
    files: [],
  };
}

const emptyPage = { items: [], total: 0, page: 1, page_size: 200 };
const stats = {
  total: 1234,
  by_status: { pending: 0, processing: 1, completed: 1200, failed: 30, cancelled: 3 },
  pages: 5678,
  bytes: 1536 * 1024,
  avg_duration_ms: 1000,
  per_day: [],
};

function api(over: Record<string, FakeHandler> = {}) {
  return fakeApi({
    'GET /tasks': () => emptyPage,
    'GET /history/stats': () => stats,
    'POST /auth/logout': () => json(204, null),
    ...over,
  });
}

function Where() {
  const loc = useLocation();
  return <div data-testid="where">{loc.pathname + loc.search}</div>;
}

function renderHeader(at = '/') {
  return render(
    <MemoryRouter initialEntries={[at]}>
      <Routes>
        <Route path="/login" element={<p>Login page</p>} />
        <Route path="*" element={<Header />} />
      </Routes>
      <Where />
    </MemoryRouter>,
  );
}

const menuButton = () => screen.getByRole('button', { name: 'Ada Lovelace' });

beforeEach(() => {
  useAuthStore.setState({ status: 'signedIn', user: sampleUser, session: undefined, reason: undefined });
  useTaskStore.getState().reset();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('Header', () => {
  it('links home and to both pages, marking the current one', () => {
    api();
    renderHeader('/history');
    expect(screen.getByRole('link', { name: 'ocrbox' })).toHaveAttribute('href', '/');
    const upload = screen.getByRole('link', { name: 'Upload' });
    const history = screen.getByRole('link', { name: /^Task history/ });
    expect(upload).toHaveAttribute('href', '/');
    expect(history).toHaveAttribute('href', '/history');
    expect(history).toHaveAttribute('aria-current', 'page');
    expect(upload).not.toHaveAttribute('aria-current');
  });

  it('counts running tasks from the store in the history link', async () => {
    api();
    useTaskStore.setState({
      byId: { a: task('a', 'pending'), b: task('b', 'processing'), c: task('c', 'completed'), d: task('d', 'failed') },
    });
    renderHeader();
    const history = screen.getByRole('link', { name: /^Task history/ });
    const badge = history.querySelector('.count-badge');
    expect(badge).toHaveTextContent('2');
    expect(badge).toHaveAttribute('aria-label', '2 running');

    act(() => useTaskStore.getState().upsert({ ...task('a', 'completed') }));
    expect(history.querySelector('.count-badge')).toHaveAttribute('aria-label', '1 running');

    act(() => useTaskStore.getState().upsert({ ...task('b', 'completed') }));
    expect(history.querySelector('.count-badge')).toBeNull();
  });

  it('follows the event stream: new tasks count, finished and deleted ones stop counting', async () => {
    api();
    installFakes();
    const release = connectTaskEvents();
    try {
      renderHeader();
      const history = screen.getByRole('link', { name: /^Task history/ });
      expect(history.querySelector('.count-badge')).toBeNull();
      const es = FakeEventSource.user()!;
      for (const id of ['a', 'b', 'c']) es.emit('task', task(id, 'pending'));
      expect(screen.getByLabelText('3 running')).toHaveTextContent('3');
      es.emit('task', task('a', 'processing'));
      es.emit('task', task('b', 'completed'));
      expect(screen.getByLabelText('2 running')).toBeInTheDocument();
      es.emit('deleted', { id: 'c' });
      expect(screen.getByLabelText('1 running')).toBeInTheDocument();
      es.emit('task', task('a', 'failed'));
      expect(history.querySelector('.count-badge')).toBeNull();
      // The header itself asks the server for nothing: the stream brings it all.
      expect(FakeEventSource.all).toHaveLength(1);
    } finally {
      release();
      await act(() => new Promise((r) => setTimeout(r, 0)));
    }
  });

  it('opens the user menu with usage stats, and signs out', async () => {
    let answer: (v: unknown) => void = () => undefined;
    const calls = api({ 'GET /history/stats': () => new Promise((r) => (answer = r)) });
    useTaskStore.setState({ byId: { a: task('a', 'pending') }, recent: ['a'] });
    renderHeader('/history');
    const user = userEvent.setup();
    const button = menuButton();
    expect(button).toHaveAttribute('aria-haspopup', 'menu');
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(button).toHaveTextContent('AL');
    // Its name is its visible text, not a different aria-label.
    expect(button).not.toHaveAttribute('aria-label');
    expect(within(button).getByText('Ada Lovelace')).not.toHaveAttribute('aria-hidden');

    await user.click(button);
    expect(button).toHaveAttribute('aria-expanded', 'true');
    const menu = screen.getByRole('menu');
    // The menu holds only its items (axe: no definition list in a menu); usage and account are beside it.
    expect(within(menu).queryByRole('group')).toBeNull();
    const usage = screen.getByRole('group', { name: 'Your usage' });
    expect(usage).toHaveAttribute('aria-busy', 'true');
    expect(within(usage).queryByText('1.5 MB')).not.toBeInTheDocument();
    answer(stats);
    await waitFor(() => expect(usage).toHaveAttribute('aria-busy', 'false'));
    expect(within(usage).getByText('Tasks').nextSibling).toHaveTextContent((1234).toLocaleString());
    expect(within(usage).getByText('Pages').nextSibling).toHaveTextContent((5678).toLocaleString());
    expect(within(usage).getByText('Storage used').nextSibling).toHaveTextContent('1.5 MB');
    expect(screen.getByText('ada@example.com')).toBeInTheDocument();
    // The name is shown in the popup too: on phones the button shows only the avatar.
    expect(document.querySelector('.user-menu-display-name')).toHaveTextContent('Ada Lovelace');

    const signOut = within(menu).getByRole('menuitem', { name: 'Sign out' });
    expect(signOut).toHaveFocus();
    await user.click(signOut);
    await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent(/^\/login$/));
    expect(calls.some((c) => c.method === 'POST' && c.path === '/auth/logout')).toBe(true);
    expect(useAuthStore.getState()).toMatchObject({ status: 'signedOut', reason: 'signedOut' });
    expect(useTaskStore.getState().byId).toEqual({});
    expect(useTaskStore.getState().recent).toEqual([]);
  });

  it('still signs out locally when the server cannot be told', async () => {
    api({ 'POST /auth/logout': () => apiError(500, 'internal_error', 'internal server error') });
    renderHeader();
    const user = userEvent.setup();
    await user.click(menuButton());
    await user.click(screen.getByRole('menuitem', { name: 'Sign out' }));
    await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent(/^\/login$/));
    expect(useAuthStore.getState().status).toBe('signedOut');
  });

  it("goes on to the identity provider's end-session page when the server names one", async () => {
    const end = 'https://idp.example.org/session/end?id_token_hint=x&post_logout_redirect_uri=y';
    api({ 'POST /auth/logout': () => json(200, { end_session_url: end }) });
    const assign = vi.spyOn(browserNav, 'assign').mockImplementation(() => undefined);
    renderHeader();
    const user = userEvent.setup();
    await user.click(menuButton());
    await user.click(screen.getByRole('menuitem', { name: 'Sign out' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith(end));
    expect(useAuthStore.getState()).toMatchObject({ status: 'signedOut', reason: 'signedOut' });
    assign.mockRestore();
  });

  it('says "Stats unavailable" when stats cannot be loaded', async () => {
    api({ 'GET /history/stats': () => apiError(404, 'feature_disabled', 'this feature is disabled') });
    renderHeader();
    await userEvent.setup().click(menuButton());
    expect(await screen.findByText('Stats unavailable')).toBeInTheDocument();
    expect(screen.getByRole('menuitem', { name: 'Sign out' })).toBeInTheDocument();
  });

  it('closes on Escape and returns focus to the button', async () => {
    api();
    renderHeader();
    const user = userEvent.setup();
    await user.click(menuButton());
    expect(screen.getByRole('menu')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('menu')).not.toBeInTheDocument();
    expect(menuButton()).toHaveFocus();
    expect(menuButton()).toHaveAttribute('aria-expanded', 'false');
  });

  it('opens from the keyboard, keeps arrow-key focus on the items, and closes on a click outside', async () => {
    api();
    renderHeader();
    const user = userEvent.setup();
    menuButton().focus();
    await user.keyboard('{ArrowDown}');
    const signOut = screen.getByRole('menuitem', { name: 'Sign out' });
    expect(signOut).toHaveFocus();
    await user.keyboard('{ArrowDown}');
    expect(signOut).toHaveFocus();
    await user.keyboard('{ArrowUp}');
    expect(signOut).toHaveFocus();
    fireEvent.mouseDown(document.body);
    expect(screen.queryByRole('menu')).not.toBeInTheDocument();
    // Enter on the button opens it too.
    menuButton().focus();
    await user.keyboard('{Enter}');
    expect(screen.getByRole('menu')).toBeInTheDocument();
  });

  it('names the menu button by the email when the user has no name', () => {
    api();
    useAuthStore.setState({ user: { ...sampleUser, name: '' } });
    renderHeader();
    const button = screen.getByRole('button', { name: 'ada@example.com' });
    expect(button).toHaveTextContent('A');
  });
});

describe('Header focus', () => {
  function Page({ title }: { title: string }) {
    return (
      <main>
        <h1>{title}</h1>
        <input aria-label="field" />
      </main>
    );
  }
  function renderApp(at: string) {
    return render(
      <MemoryRouter initialEntries={[at]}>
        <Header />
        <Routes>
          <Route path="/" element={<Page title="Upload" />} />
          <Route path="/history" element={<Page title="Task history" />} />
          <Route path="/stats" element={<Page title="Statistics" />} />
        </Routes>
      </MemoryRouter>,
    );
  }
  const heading = (name: string) => screen.getByRole('heading', { name, level: 1 });

  it('puts the focus on the page heading at arrival (sign-in left it on body) and after a header link', async () => {
    api();
    renderApp('/');
    await waitFor(() => expect(heading('Upload')).toHaveFocus());
    const user = userEvent.setup();
    await user.click(screen.getByRole('link', { name: 'Statistics' }));
    await waitFor(() => expect(heading('Statistics')).toHaveFocus());
    expect(screen.getByRole('link', { name: 'Statistics' })).toHaveAttribute('aria-current', 'page');
  });

  it('leaves the focus where the user put it on the page', async () => {
    api();
    renderApp('/history');
    await waitFor(() => expect(heading('Task history')).toHaveFocus());
    screen.getByRole('textbox', { name: 'field' }).focus();
    await act(() => new Promise((r) => requestAnimationFrame(r)));
    expect(screen.getByRole('textbox', { name: 'field' })).toHaveFocus();
  });

  it('has a skip link first, which takes the focus to the main heading', async () => {
    api();
    renderApp('/history');
    const skip = screen.getByRole('link', { name: 'Skip to main content' });
    expect(document.querySelector('a, button')).toBe(skip);
    screen.getByRole('textbox', { name: 'field' }).focus();
    await userEvent.setup().click(skip);
    expect(heading('Task history')).toHaveFocus();
  });
});

describe('displayName and initials', () => {
  it('prefer the name and fall back to the email', () => {
    expect(displayName({ name: '  ', email: 'x@y.z' })).toBe('x@y.z');
    expect(displayName({ name: 'Grace Hopper', email: 'g@y.z' })).toBe('Grace Hopper');
    expect(initials({ name: 'Grace Brewster Murray Hopper', email: '' })).toBe('GH');
    expect(initials({ name: 'cher', email: '' })).toBe('C');
    expect(initials({ name: '', email: 'émile@x.fr' })).toBe('É');
  });
});
