import { describe, expect, it } from 'vitest';
import { describeProviderError, safeReturnTo, signInTarget } from './returnTo';

describe('safeReturnTo', () => {
  it.each([
    ['/history', '/history'],
    ['/history?page=2&status=failed', '/history?page=2&status=failed'],
    ['/a#b', '/a#b'],
  ])('keeps the local path %j', (input, want) => {
    expect(safeReturnTo(input)).toBe(want);
  });

  it.each([null, '', 'history', '//evil.com', '//evil.com/x', '/\\evil.com', '\\\\evil.com', 'https://evil.com', 'javascript:alert(1)', '/\t/evil.com', '/\n/evil.com'])(
    'sends %j to /',
    (input) => {
      expect(safeReturnTo(input)).toBe('/');
    },
  );
});

describe('signInTarget', () => {
  it('defaults to / without return_to', () => {
    expect(signInTarget('')).toEqual({ returnTo: '/', providerError: undefined, providerErrorDescription: undefined });
  });

  it('reads error and error_description', () => {
    expect(signInTarget('?return_to=%2Fhistory&error=access_denied&error_description=User+said+no')).toEqual({
      returnTo: '/history',
      providerError: 'access_denied',
      providerErrorDescription: 'User said no',
    });
  });

  it('finds login_error inside return_to and removes it, keeping the rest', () => {
    const t = signInTarget(`?return_to=${encodeURIComponent('/history?login_error=access_denied&page=3')}`);
    expect(t.returnTo).toBe('/history?page=3');
    expect(t.providerError).toBe('access_denied');
  });
});

describe('describeProviderError', () => {
  it('explains known codes and passes on unknown ones', () => {
    expect(describeProviderError('access_denied')).toMatch(/cancelled or refused/);
    expect(describeProviderError('weird', 'Bad thing')).toBe('Sign-in with your identity provider failed: Bad thing (weird).');
  });
});
