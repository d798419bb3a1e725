import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { formatOffset, localMidnight, rfc3339, todayOffset, withLocalDays } from './localDays';

// Node reads TZ afresh when it changes, so each case runs in a real zone.
let saved: string | undefined;
beforeEach(() => {
  saved = process.env.TZ;
});
afterEach(() => {
  if (saved === undefined) delete process.env.TZ;
  else process.env.TZ = saved;
});

describe('withLocalDays', () => {
  test.each([
    // zone, query, what is sent
    ['Pacific/Kiritimati', { from: '2026-12-05', to: '2026-12-05' }, { from: '2026-12-05', to: '2026-12-05', tz: '+14:00' }],
    ['America/St_Johns', { from: '2026-12-05' }, { from: '2026-12-05', tz: '-03:30' }],
    ['Asia/Kathmandu', { to: '2026-12-05' }, { to: '2026-12-05', tz: '+05:45' }],
    ['UTC', { from: '2026-12-05', to: '2026-12-06' }, { from: '2026-12-05', to: '2026-12-06', tz: '+00:00' }],
    // Summer time in Berlin: the offset of July, not of a December "today".
    ['Europe/Berlin', { from: '2026-07-01', to: '2026-07-31' }, { from: '2026-07-01', to: '2026-07-31', tz: '+02:00' }],
    ['Europe/Berlin', { from: '2026-12-01', to: '2026-12-31' }, { from: '2026-12-01', to: '2026-12-31', tz: '+01:00' }],
    // Across the spring change (29 March 2026): exact instants, each with its offset.
    [
      'Europe/Berlin',
      { from: '2026-03-29', to: '2026-03-29' },
      { from: '2026-03-29T00:00:00.000+01:00', to: '2026-03-29T23:59:59.999+02:00' },
    ],
    // New York's autumn change (1 November 2026) inside the range.
    [
      'America/New_York',
      { from: '2026-10-30', to: '2026-11-02' },
      { from: '2026-10-30T00:00:00.000-04:00', to: '2026-11-02T23:59:59.999-05:00' },
    ],
  ])('%s %j → %j', (zone, q, want) => {
    process.env.TZ = zone;
    expect(withLocalDays({ status: 'completed', ...q })).toEqual({ status: 'completed', ...want });
  });

  test('no dates: nothing added', () => {
    process.env.TZ = 'Pacific/Kiritimati';
    expect(withLocalDays({ q: 'invoice' })).toEqual({ q: 'invoice' });
  });
});

describe('offsets', () => {
  test.each([
    [0, '+00:00'],
    [840, '+14:00'],
    [-330, '-05:30'],
    [345, '+05:45'],
    [-720, '-12:00'],
  ])('formatOffset(%i) = %s', (m, s) => expect(formatOffset(m)).toBe(s));

  test('rfc3339 and localMidnight are local time', () => {
    process.env.TZ = 'Pacific/Kiritimati';
    const d = localMidnight('2026-12-05');
    expect(d.toISOString()).toBe('2026-12-04T10:00:00.000Z');
    expect(rfc3339(d)).toBe('2026-12-05T00:00:00.000+14:00');
    expect(todayOffset(d)).toBe('+14:00');
  });
});
