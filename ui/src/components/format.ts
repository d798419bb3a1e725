// Formatting for people: sizes, durations, dates.

/** formatBytes: 0 B, 1.2 KB, 3.4 MB … (powers of 1024, one decimal). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** formatDuration: 850 ms, 12.3 s, 4 min 05 s, 2 h 03 min. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

// One formatter for every date: building one per call is what makes a long
// table slow to render (toLocaleString with options does that).
let dateTime: Intl.DateTimeFormat | undefined;

/** formatDateTime shows a timestamp in the user's locale and time zone. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  dateTime ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return dateTime.format(d);
}

/** formatPlaceInLine: "Next in line", "2nd in line", "23rd in line"; "" without a place. */
export function formatPlaceInLine(pos: number | undefined): string {
  if (!pos || pos < 1) return '';
  if (pos === 1) return 'Next in line';
  const teen = pos % 100 >= 11 && pos % 100 <= 13;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[pos % 10] ?? 'th';
  return `${pos}${suffix} in line`;
}
