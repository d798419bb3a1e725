package boltstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// PerDayKept is how many days of Stats.PerDay a user_stats record keeps,
// counted back from its newest day. Older days are dropped as new ones
// arrive, so the record stays small (O(1) to read and write) whatever the
// history length; reports only look at recent days.
const PerDayKept = 400

// dayLayout is the format of Stats.PerDay keys; it sorts by date.
const dayLayout = "2006-01-02"

// DayKey returns the Stats.PerDay key of the UTC day of t.
func DayKey(t time.Time) string { return t.UTC().Format(dayLayout) }

// DayCount is the number of tasks created on one UTC day.
type DayCount = domain.DayCount

// TaskStats returns userID's statistics with the task counts of the days
// days up to the day of now, from user_stats: one key read, O(1) whatever
// the number of tasks.
func (s *Store) TaskStats(ctx context.Context, userID string, now time.Time, days int) (domain.TaskStats, error) {
	st, err := s.UserStats(ctx, userID)
	if err != nil {
		return domain.TaskStats{}, fmt.Errorf("task stats: %w", err)
	}
	out := domain.TaskStats{Total: st.Tasks, ByStatus: map[domain.TaskStatus]int{}, Pages: st.Pages,
		Bytes: st.Bytes, PerDay: st.LastDays(now, days)}
	for _, status := range []domain.TaskStatus{domain.StatusPending, domain.StatusProcessing,
		domain.StatusCompleted, domain.StatusFailed, domain.StatusCancelled} {
		out.ByStatus[status] = st.ByStatus[status]
	}
	if st.Finished > 0 {
		out.AvgDurationMS = st.TotalDurationMS / int64(st.Finished)
	}
	return out, nil
}

// LastDays returns the task counts of the n UTC days ending with the day
// of now, oldest first, with zeros for days without tasks.
func (s Stats) LastDays(now time.Time, n int) []DayCount {
	out := make([]DayCount, 0, n)
	day := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -(n - 1))
	for range n {
		k := day.Format(dayLayout)
		out = append(out, DayCount{Date: k, Count: s.PerDay[k]})
		day = day.AddDate(0, 0, 1)
	}
	return out
}

// addPerDay adds sign × o to the per-day counts, dropping days that reach
// zero. A delta (new task minus old) may hold negative counts.
func (s *Stats) addPerDay(o map[string]int, sign int) {
	if len(o) == 0 {
		return
	}
	if s.PerDay == nil {
		s.PerDay = map[string]int{}
	}
	for k, v := range o {
		s.PerDay[k] += sign * v
		if s.PerDay[k] == 0 {
			delete(s.PerDay, k)
		}
	}
}

// tidyPerDay keeps a stored record small and sane: days below zero (a day
// pruned earlier, decremented by a later delete) and days more than
// PerDayKept before the newest are dropped.
func (s *Stats) tidyPerDay() {
	newest := ""
	for k, v := range s.PerDay {
		if v <= 0 {
			delete(s.PerDay, k)
			continue
		}
		newest = max(newest, k)
	}
	if len(s.PerDay) <= PerDayKept {
		return
	}
	t, err := time.Parse(dayLayout, newest)
	if err != nil {
		return
	}
	cutoff := t.AddDate(0, 0, -(PerDayKept - 1)).Format(dayLayout)
	for k := range s.PerDay {
		if k < cutoff {
			delete(s.PerDay, k)
		}
	}
}
