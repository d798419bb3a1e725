package history

import (
	"context"
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Tasks is what the service reads from the source of truth (boltstore).
type Tasks interface {
	// ListTasks pages the user's tasks newest or oldest first (with a
	// status and created_at range), total from counters or key counts.
	ListTasks(ctx context.Context, userID string, q domain.ListQuery) ([]*domain.Task, int, error)
	// GetTasks loads the user's tasks with these ids, in order, leaving
	// out ids that are unknown or someone else's.
	GetTasks(ctx context.Context, userID string, ids []string) ([]*domain.Task, error)
	// TaskStats reads the user's running counters (O(1)).
	TaskStats(ctx context.Context, userID string, now time.Time, days int) (domain.TaskStats, error)
	// EachTask walks the user's tasks created in [from, to] (in status,
	// if set), newest first, chunk at a time, each chunk read in its own
	// short transaction.
	EachTask(ctx context.Context, userID string, status domain.TaskStatus, from, to time.Time,
		chunk int, fn func([]*domain.Task) error) error
}

// Searcher is the search index as the service queries it (storage/search).
type Searcher interface {
	Search(ctx context.Context, userID string, q domain.SearchQuery) (ids []string, total int, err error)
	Scan(ctx context.Context, userID string, q domain.SearchQuery, chunk int, fn func(ids []string) error) error
}

// StatsDays is how many days GET /history/stats reports in per_day.
const StatsDays = 30

// Service answers the history endpoints. Every method takes the caller's
// user id: the index query is AND-ed with it, and tasks are then loaded
// from the store with it, so isolation holds twice.
type Service struct {
	tasks  Tasks
	search Searcher
	ready  func() bool
	now    func() time.Time
}

// NewService builds the service; ready reports whether the index is
// complete (Indexer.Ready).
func NewService(tasks Tasks, search Searcher, ready func() bool) *Service {
	return &Service{tasks: tasks, search: search, ready: ready, now: time.Now}
}

// errRebuilding answers history requests while the index is rebuilt.
var errRebuilding = domain.Errorf(domain.ErrUnavailable, domain.CodeIndexRebuilding,
	"the search index is being rebuilt; try again in a minute")

// Search returns one page of the user's tasks matching q and the exact
// number of matches. Without a search text, newest or oldest first, the
// store answers (its created_at keys are exact and cheaper to walk than a
// sort over the index); the index answers the rest.
func (s *Service) Search(ctx context.Context, userID string, q domain.SearchQuery) ([]*domain.Task, int, error) {
	if err := q.Validate(); err != nil {
		return nil, 0, err
	}
	if q.Q == "" && (q.Sort == "" || q.Sort == domain.SortCreatedAt) {
		limit := q.Limit
		if limit == 0 {
			limit = 20
		}
		return s.tasks.ListTasks(ctx, userID, domain.ListQuery{Status: q.Status, Sort: domain.SortCreatedAt,
			Desc: q.Desc, Offset: q.Offset, Limit: limit, From: q.From, To: q.To})
	}
	if !s.ready() {
		return nil, 0, errRebuilding
	}
	ids, total, err := s.search.Search(ctx, userID, q)
	if err != nil {
		return nil, 0, err
	}
	items, err := s.tasks.GetTasks(ctx, userID, ids)
	if err != nil {
		return nil, 0, err
	}
	return items, total, nil
}

// Ready reports whether sorted lists can come from the index; the task
// service falls back to the store when not.
func (s *Service) Ready() bool { return s.ready() }

// List serves GET /tasks orders that bbolt has no index for (filename,
// status, duration) from the search index.
func (s *Service) List(ctx context.Context, userID string, q domain.ListQuery) ([]*domain.Task, int, error) {
	return s.Search(ctx, userID, domain.SearchQuery{Status: q.Status, Sort: q.Sort, Desc: q.Desc,
		Offset: q.Offset, Limit: q.Limit})
}

// Stats returns the user's totals and the tasks per day of the last
// StatsDays days, days of loc (nil is UTC) so that a browser's chart
// shows the days its table shows. The totals and UTC days come from
// running counters; the counters' UTC days cut across another offset's
// days, so those are counted from the created_at keys instead, one key
// range per day (counted, not decoded: O(tasks of the 30 days)).
func (s *Service) Stats(ctx context.Context, userID string, loc *time.Location) (domain.TaskStats, error) {
	now := s.now()
	st, err := s.tasks.TaskStats(ctx, userID, now, StatsDays)
	if err != nil || loc == nil {
		return st, err
	}
	local := now.In(loc)
	if _, off := local.Zone(); off == 0 {
		return st, nil
	}
	first := time.Date(local.Year(), local.Month(), local.Day()-(StatsDays-1), 0, 0, 0, 0, loc)
	perDay := make([]domain.DayCount, 0, StatsDays)
	for i := range StatsDays {
		from := first.AddDate(0, 0, i)
		to := from.AddDate(0, 0, 1).Add(-time.Nanosecond)
		// Limit 1: the total is what counts; at most one task is decoded.
		_, n, err := s.tasks.ListTasks(ctx, userID, domain.ListQuery{Sort: domain.SortCreatedAt, Desc: true,
			Limit: 1, From: from.UTC(), To: to.UTC()})
		if err != nil {
			return domain.TaskStats{}, fmt.Errorf("tasks of %s: %w", from.Format(time.DateOnly), err)
		}
		perDay = append(perDay, domain.DayCount{Date: from.Format(time.DateOnly), Count: n})
	}
	st.PerDay = perDay
	return st, nil
}
