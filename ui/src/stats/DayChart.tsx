import { useId } from 'react';
import type { Stats } from '../api/types';

/** DayCount is one day of GET /history/stats's per_day (a local day, YYYY-MM-DD). */
export type DayCount = Stats['per_day'][number];

const WIDTH = 600;
const HEIGHT = 160;
const GAP = 3;

let dayFormat: Intl.DateTimeFormat | undefined;
let longFormat: Intl.DateTimeFormat | undefined;

/** dayLabel shows a YYYY-MM-DD day in the viewer's locale ("4 Dec"); long adds the weekday and year. */
export function dayLabel(ymd: string, long = false): string {
  const [y, m, d] = ymd.split('-').map(Number);
  const date = new Date(y, m - 1, d);
  if (Number.isNaN(date.getTime())) return ymd;
  if (long) {
    longFormat ??= new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
    return longFormat.format(date);
  }
  dayFormat ??= new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
  return dayFormat.format(date);
}

/** niceMax rounds the chart's top up to 1, 2 or 5 × a power of ten, so the scale reads well. */
export function niceMax(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const f of [1, 2, 5, 10]) if (f * p >= n) return f * p;
  return 10 * p;
}

/** chartSummary is the chart in one sentence, its accessible name. */
export function chartSummary(days: DayCount[]): string {
  const total = days.reduce((s, d) => s + d.count, 0);
  if (days.length === 0) return 'No days to show.';
  const busiest = days.reduce((a, b) => (b.count > a.count ? b : a), days[0]);
  const range = `${dayLabel(days[0].date)} to ${dayLabel(days[days.length - 1].date)}`;
  if (total === 0) return `No tasks from ${range}.`;
  return `${total} ${total === 1 ? 'task' : 'tasks'} from ${range}; the busiest day was ${dayLabel(busiest.date)} with ${busiest.count}.`;
}

/**
 * DayChart draws tasks per day as inline SVG bars (no chart library: a few
 * rectangles). The picture has one sentence as its name, each bar its own
 * tooltip, and the same numbers are a table under "Show as table" for
 * screen readers and anyone who wants exact figures.
 */
export function DayChart({ days }: { days: DayCount[] }) {
  const id = useId();
  const max = niceMax(Math.max(0, ...days.map((d) => d.count)));
  const bar = days.length ? WIDTH / days.length : WIDTH;
  const plot = HEIGHT - 20;
  const summary = chartSummary(days);
  return (
    <figure className="stats-chart" aria-labelledby={`${id}-cap`}>
      <figcaption id={`${id}-cap`} className="stats-chart-caption">
        Tasks per day, last {days.length} days
      </figcaption>
      <svg className="stats-chart-svg" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary} preserveAspectRatio="none">
        <line x1="0" x2={WIDTH} y1={plot} y2={plot} className="stats-chart-axis" />
        <line x1="0" x2={WIDTH} y1="0.5" y2="0.5" className="stats-chart-grid" />
        {days.map((d, i) => {
          const h = d.count > 0 ? Math.max(2, (d.count / max) * (plot - 4)) : 0;
          return (
            <rect
              key={d.date}
              data-date={d.date}
              data-count={d.count}
              className={`stats-chart-bar${i === days.length - 1 ? ' is-today' : ''}`}
              x={i * bar + GAP / 2}
              y={plot - h}
              width={Math.max(1, bar - GAP)}
              height={h}
            >
              <title>{`${dayLabel(d.date, true)}: ${d.count} ${d.count === 1 ? 'task' : 'tasks'}`}</title>
            </rect>
          );
        })}
      </svg>
      <div className="stats-chart-scale muted" aria-hidden="true">
        <span>{days.length ? dayLabel(days[0].date) : ''}</span>
        <span>max {max}</span>
        <span>{days.length ? dayLabel(days[days.length - 1].date) : ''}</span>
      </div>
      <details className="stats-chart-table">
        <summary>Show as table</summary>
        <table>
          <caption className="visually-hidden">Tasks per day</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col" className="stats-num">
                Tasks
              </th>
            </tr>
          </thead>
          <tbody>
            {[...days].reverse().map((d) => (
              <tr key={d.date}>
                <td>
                  <time dateTime={d.date}>{dayLabel(d.date, true)}</time>
                </td>
                <td className="stats-num">{d.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
