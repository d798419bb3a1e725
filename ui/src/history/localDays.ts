// The history shows times in the viewer's time zone, so its date filters
// must mean the viewer's days too: "Dec 5" at UTC+14 starts at 10:00 UTC
// on Dec 4. The server takes date-only bounds as days of a UTC offset
// (tz); this module picks the offset of the very days asked for, not of
// today, since a daylight-saving change moves it.
import type { HistoryQuery } from '../api/types';

/** formatOffset writes minutes east of UTC as ±HH:MM ("+14:00", "-05:30"). */
export function formatOffset(minutesEast: number): string {
  const sign = minutesEast < 0 ? '-' : '+';
  const m = Math.abs(minutesEast);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** localMidnight is the first instant of a YYYY-MM-DD day in the browser's zone (plus days). */
export function localMidnight(ymd: string, plusDays = 0): Date {
  const [y, m, d] = ymd.split('-').map(Number);
  return new Date(y, m - 1, d + plusDays);
}

/** offsetAt is the browser's UTC offset at an instant, as ±HH:MM. */
export function offsetAt(d: Date): string {
  return formatOffset(-d.getTimezoneOffset());
}

/** rfc3339 writes an instant in local time with its own offset (2026-03-29T23:59:59.999+02:00). */
export function rfc3339(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}` +
    `T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}${offsetAt(d)}`
  );
}

/** todayOffset is the browser's offset now, for "the last 30 days" (statistics). */
export function todayOffset(now = new Date()): string {
  return offsetAt(now);
}

/**
 * withLocalDays turns the date filters of a history query into the
 * browser's days. A from day starts at its local midnight; a to day ends
 * just before the next local midnight. When both ends have the same offset
 * (nearly always) the dates go as they are with tz; when a daylight-saving
 * change lies between them, one offset cannot describe both, and exact
 * RFC 3339 instants go instead.
 */
export function withLocalDays<Q extends HistoryQuery>(q: Q): Q & { tz?: string } {
  if (!q.from && !q.to) return q;
  const fromOff = q.from ? offsetAt(localMidnight(q.from)) : undefined;
  const toOff = q.to ? offsetAt(localMidnight(q.to, 1)) : undefined;
  if (fromOff === undefined || toOff === undefined || fromOff === toOff) {
    return { ...q, tz: fromOff ?? toOff };
  }
  const end = new Date(localMidnight(q.to!, 1).getTime() - 1);
  return { ...q, from: rfc3339(localMidnight(q.from!)), to: rfc3339(end) };
}
