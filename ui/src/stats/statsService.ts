// GET /history/stats with the browser's offset, so that per_day counts the
// days the viewer lives in (the history table shows local times too).
import { request } from '../api/client';
import type { Stats } from '../api/types';
import { todayOffset } from '../history/localDays';

/** loadStats fetches the user's statistics, per_day in local days of today's offset. */
export function loadStats(signal?: AbortSignal): Promise<Stats> {
  return request<Stats>('/history/stats', { query: { tz: todayOffset() }, signal });
}
