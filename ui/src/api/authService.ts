// Sign-in, session and account endpoints.
import { API_BASE, request, url } from './client';
import type { LoginResponse, LogoutResponse, MeResponse, ProvidersResponse, Stats } from './types';

/** authService is the typed client of /auth/* (and the user's stats for the header). */
export const authService = {
  /** me returns the signed-in user, or throws ApiError 401. */
  me(): Promise<MeResponse> {
    return request<MeResponse>('/auth/me', { quiet401: true });
  },

  login(username: string, password: string): Promise<LoginResponse> {
    return request<LoginResponse>('/auth/login', {
      method: 'POST',
      body: { username, password },
      quiet401: true,
    });
  },

  /** refresh renews the cookie session through the HttpOnly refresh cookie. */
  refresh(): Promise<LoginResponse> {
    return request<LoginResponse>('/auth/refresh', { method: 'POST', body: {}, quiet401: true });
  },

  /**
   * logout ends the session. For a session of an identity provider that
   * offers RP-Initiated Logout the answer names the page that ends the
   * provider's session too.
   */
  async logout(): Promise<Partial<LogoutResponse>> {
    return (await request<LogoutResponse | undefined>('/auth/logout', { method: 'POST', quiet401: true })) ?? {};
  },

  providers(): Promise<ProvidersResponse> {
    return request<ProvidersResponse>('/auth/providers');
  },

  /** browserLoginURL is where "Sign in with …" goes (a full page navigation). */
  browserLoginURL(provider: string, returnTo: string): string {
    return url('/auth/oidc/login', { provider, return_to: returnTo });
  },

  stats(): Promise<Stats> {
    return request<Stats>('/history/stats');
  },
};

export { API_BASE };
