package boltstore

import (
	"context"
	"fmt"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Stats are a user's running counters, kept in user_stats and changed in
// every transaction that changes one of their tasks, so reading them is
// O(1) whatever the history length.
type Stats struct {
	// Tasks is how many tasks the user has.
	Tasks int `json:"tasks"`
	// ByStatus counts tasks per status; statuses with no task are absent.
	ByStatus map[domain.TaskStatus]int `json:"by_status"`
	// Pages is the sum of PagesDone over all tasks.
	Pages int64 `json:"pages"`
	// Bytes is the sum of the sizes of all task files (inputs and outputs).
	Bytes int64 `json:"bytes"`
	// TotalDurationMS is the sum of DurationMS over completed tasks; with
	// Finished it gives the average processing time.
	TotalDurationMS int64 `json:"total_duration_ms"`
	// Finished is how many tasks are completed.
	Finished int `json:"finished"`
	// PerDay counts tasks by the UTC day they were created ("2006-01-02");
	// days with no task are absent, and only the PerDayKept days up to the
	// newest one are kept (migration 3).
	PerDay map[string]int `json:"per_day,omitempty"`
}

// contribution is what one task adds to its owner's Stats; nil adds nothing.
func contribution(t *domain.Task) Stats {
	st := Stats{ByStatus: map[domain.TaskStatus]int{}}
	if t == nil {
		return st
	}
	st.Tasks = 1
	st.ByStatus[t.Status] = 1
	st.PerDay = map[string]int{DayKey(t.CreatedAt): 1}
	st.Pages = int64(t.PagesDone)
	for _, f := range t.Files {
		st.Bytes += f.Size
	}
	if t.Status == domain.StatusCompleted {
		st.Finished = 1
		st.TotalDurationMS = t.DurationMS
	}
	return st
}

// add adds sign × o to s (sign is +1 or -1).
func (s *Stats) add(o Stats, sign int) {
	s.Tasks += sign * o.Tasks
	s.Pages += int64(sign) * o.Pages
	s.Bytes += int64(sign) * o.Bytes
	s.TotalDurationMS += int64(sign) * o.TotalDurationMS
	s.Finished += sign * o.Finished
	if s.ByStatus == nil {
		s.ByStatus = map[domain.TaskStatus]int{}
	}
	for k, v := range o.ByStatus {
		s.ByStatus[k] += sign * v
		if s.ByStatus[k] == 0 {
			delete(s.ByStatus, k)
		}
	}
	s.addPerDay(o.PerDay, sign)
}

func (s Stats) isZero() bool {
	return s.Tasks == 0 && s.Pages == 0 && s.Bytes == 0 && s.TotalDurationMS == 0 &&
		s.Finished == 0 && len(s.ByStatus) == 0 && len(s.PerDay) == 0
}

// UserStats returns a user's counters; a user without tasks has zero Stats
// (with a non-nil ByStatus).
func (s *Store) UserStats(ctx context.Context, userID string) (Stats, error) {
	if err := checkID("user", userID); err != nil {
		return Stats{}, fmt.Errorf("user stats: %w", err)
	}
	var st Stats
	err := s.view(ctx, func(x *txn) error {
		var err error
		st, err = x.getStats(userID)
		return err
	})
	if err != nil {
		return Stats{}, fmt.Errorf("user stats: %w", err)
	}
	return st, nil
}

// CountTasks returns how many tasks a user has, from user_stats (O(1)); the
// quota check (max_tasks_per_user) uses it.
func (s *Store) CountTasks(ctx context.Context, userID string) (int, error) {
	st, err := s.UserStats(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("count tasks: %w", err)
	}
	return st.Tasks, nil
}

// StoredBytes returns the size of all a user's task files, from user_stats
// (O(1)); the storage quota (max_storage_mb_per_user) uses it.
func (s *Store) StoredBytes(ctx context.Context, userID string) (int64, error) {
	st, err := s.UserStats(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("stored bytes: %w", err)
	}
	return st.Bytes, nil
}

func (x *txn) getStats(userID string) (Stats, error) {
	var st Stats
	if _, err := getJSON(x.userStats, []byte(userID), &st); err != nil {
		return Stats{}, err
	}
	if st.ByStatus == nil {
		st.ByStatus = map[domain.TaskStatus]int{}
	}
	return st, nil
}

// addStats adds delta to userID's counters, dropping the record when it
// falls back to zero.
func (x *txn) addStats(userID string, delta Stats) error {
	if delta.isZero() {
		return nil
	}
	st, err := x.getStats(userID)
	if err != nil {
		return err
	}
	st.add(delta, 1)
	st.tidyPerDay()
	if st.isZero() {
		return x.userStats.Delete([]byte(userID))
	}
	return putJSON(x.userStats, []byte(userID), st)
}

// TotalStoredBytes sums every user's task files from user_stats (one
// record per user), for the storage gauge.
func (s *Store) TotalStoredBytes(ctx context.Context) (int64, error) {
	var total int64
	err := s.view(ctx, func(x *txn) error {
		return x.userStats.ForEach(func(k, _ []byte) error {
			st, err := x.getStats(string(k))
			if err != nil {
				return err
			}
			total += st.Bytes
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("total stored bytes: %w", err)
	}
	return total, nil
}
