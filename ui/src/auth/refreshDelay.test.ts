import { describe, expect, it } from 'vitest';
import { REFRESH_MARGIN_MS, refreshDelay } from '../stores/authStore';

const NOW = Date.parse('2025-03-01T12:00:00Z');
const at = (ms: number) => new Date(NOW + ms).toISOString();
const MIN = 60_000;

describe('refreshDelay', () => {
  it('renews a margin before the idle expiry when that comes first', () => {
    expect(refreshDelay({ expires_at: at(24 * 60 * MIN), idle_expires_at: at(30 * MIN) }, NOW)).toBe(30 * MIN - REFRESH_MARGIN_MS);
  });

  it('renews a margin before the absolute expiry when that comes first', () => {
    expect(refreshDelay({ expires_at: at(20 * MIN), idle_expires_at: at(60 * MIN) }, NOW)).toBe(15 * MIN);
  });

  it('uses half the remaining time when that is less than the margin', () => {
    expect(refreshDelay({ expires_at: at(4 * MIN), idle_expires_at: at(4 * MIN) }, NOW)).toBe(2 * MIN);
  });

  it('waits at least 10 s, also for a session that is nearly or already over', () => {
    expect(refreshDelay({ expires_at: at(8_000), idle_expires_at: at(60 * MIN) }, NOW)).toBe(10_000);
    expect(refreshDelay({ expires_at: at(-MIN), idle_expires_at: at(-MIN) }, NOW)).toBe(10_000);
  });

  it('never exceeds what setTimeout can hold', () => {
    const year = 365 * 24 * 60 * MIN;
    expect(refreshDelay({ expires_at: at(year), idle_expires_at: at(year) }, NOW)).toBe(0x7fffffff);
  });

  it('does not schedule a renewal for unreadable times', () => {
    expect(refreshDelay({ expires_at: 'soon', idle_expires_at: 'later' }, NOW)).toBe(0x7fffffff);
  });

  it('uses the readable end when only one is readable', () => {
    expect(refreshDelay({ expires_at: at(20 * MIN), idle_expires_at: 'garbled' }, NOW)).toBe(15 * MIN);
    expect(refreshDelay({ expires_at: '', idle_expires_at: at(30 * MIN) }, NOW)).toBe(25 * MIN);
  });

  it('defaults to the current time', () => {
    const d = refreshDelay({ expires_at: new Date(Date.now() + 60 * MIN).toISOString(), idle_expires_at: new Date(Date.now() + 60 * MIN).toISOString() });
    expect(d).toBeGreaterThan(55 * MIN - 1000);
    expect(d).toBeLessThanOrEqual(55 * MIN);
  });
});
