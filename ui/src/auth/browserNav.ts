/**
 * browserNav leaves the app with a full page load (to an identity provider).
 * It is an object so tests can spy on it: jsdom's window.location cannot be
 * replaced or spied on.
 */
export const browserNav = {
  /** assign loads url in this tab. */
  assign(url: string): void {
    window.location.assign(url);
  },
};
