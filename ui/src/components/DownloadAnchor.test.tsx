import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { onUnauthorized } from '../api/client';
import { apiError, json, stubFetch } from '../history/testUtils';
import { useAuthStore } from '../stores/authStore';
import { sampleUser } from '../auth/testApi';
import { DownloadAnchor } from './DownloadAnchor';

// jsdom does not download: record the links the component follows.
const followed: { href: string; download: string }[] = [];
beforeEach(() => {
  followed.length = 0;
  useAuthStore.setState({ status: 'signedIn', user: sampleUser, reason: undefined });
  // What init() registers at start: a 401 anywhere ends the session.
  onUnauthorized(() => useAuthStore.getState().expired());
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    followed.push({ href: this.getAttribute('href') ?? '', download: this.download });
  });
});
afterEach(() => {
  onUnauthorized(undefined);
  vi.unstubAllGlobals();
});

describe('DownloadAnchor', () => {
  it('downloads while the session stands', async () => {
    const calls = stubFetch({ 'GET /auth/me': () => json({ user: sampleUser }) });
    render(
      <DownloadAnchor href="/api/v1/tasks/t1/files/f1" filename="scan.ocr.pdf">
        Download PDF
      </DownloadAnchor>,
    );
    await userEvent.click(screen.getByRole('link', { name: 'Download PDF' }));
    await waitFor(() => expect(followed).toEqual([{ href: '/api/v1/tasks/t1/files/f1', download: 'scan.ocr.pdf' }]));
    expect(calls.map((c) => c.path)).toEqual(['/auth/me']);
  });

  it('after the session ended, signs out (to sign-in and back) instead of failing silently', async () => {
    stubFetch({ 'GET /auth/me': () => apiError(401, 'unauthenticated', 'sign in first') });
    render(
      <DownloadAnchor href="/api/v1/tasks/t1/files/f1" filename="scan.ocr.pdf">
        Download PDF
      </DownloadAnchor>,
    );
    await userEvent.click(screen.getByRole('link', { name: 'Download PDF' }));
    await waitFor(() => expect(useAuthStore.getState()).toMatchObject({ status: 'signedOut', reason: 'expired' }));
    expect(followed).toEqual([]);
  });
});
