package boltstore

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Sort orders accepted by ListQuery.Sort.
const (
	SortCreatedAt = "created_at" // the default: walks tasks_by_user in key order
	SortFilename  = "filename"   // case-insensitive
	SortStatus    = "status"     // by status name
	SortDuration  = "duration"   // by DurationMS
	SortPages     = "pages"      // by PagesTotal
)

// ListQuery selects and orders a page of one user's tasks.
type ListQuery = domain.ListQuery

func validateQuery(q ListQuery) error {
	switch q.Sort {
	case "", SortCreatedAt, SortFilename, SortStatus, SortDuration, SortPages:
	default:
		return fmt.Errorf("sort %q: %w", q.Sort, domain.ErrInvalid)
	}
	if q.Status != "" && !q.Status.Valid() {
		return fmt.Errorf("status %q: %w", q.Status, domain.ErrInvalid)
	}
	// Bounded here too, not only where the API parses page and page_size:
	// a negative or huge offset must never reach a slice bound.
	if err := domain.CheckWindow(q.Offset, q.Limit); err != nil {
		return fmt.Errorf("offset %d, limit %d: %w", q.Offset, q.Limit, err)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.After(q.To) {
		return fmt.Errorf("from %s after to %s: %w", q.From, q.To, domain.ErrInvalid)
	}
	return nil
}

// ListTasks returns a page of userID's tasks and the total number matching
// q. Equal sort keys tie-break by task id; Desc reverses the whole order.
func (s *Store) ListTasks(ctx context.Context, userID string, q ListQuery) ([]*domain.Task, int, error) {
	if err := checkID("user", userID); err != nil {
		return nil, 0, fmt.Errorf("list tasks: %w", err)
	}
	if err := validateQuery(q); err != nil {
		return nil, 0, fmt.Errorf("list tasks: %w", err)
	}
	var (
		page  []*domain.Task
		total int
	)
	err := s.view(ctx, func(x *txn) error {
		var err error
		if q.Sort == "" || q.Sort == SortCreatedAt {
			page, total, err = x.listByCreated(userID, q)
		} else {
			page, total, err = x.listSorted(userID, q)
		}
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list tasks: %w", err)
	}
	return page, total, nil
}

// listByCreated walks the user's tasks_by_user range (or, with a status
// filter, their tasks_by_user_status range for that status) in key order,
// skipping the offset without decoding and reading only the page. Without
// a date range the total comes from the user_stats counters: O(offset +
// limit). With one, the keys of the range are counted (not decoded) too.
func (x *txn) listByCreated(userID string, q ListQuery) ([]*domain.Task, int, error) {
	var st struct { // the counters a list needs; per_day is not decoded
		Tasks    int                       `json:"tasks"`
		ByStatus map[domain.TaskStatus]int `json:"by_status"`
	}
	if _, err := getJSON(x.userStats, []byte(userID), &st); err != nil {
		return nil, 0, err
	}
	total, b, prefix, idOf := st.Tasks, x.tasksByUser, []byte(userID), taskIDFromUserKey
	if q.Status != "" {
		c, err := statusCode(q.Status)
		if err != nil {
			return nil, 0, err
		}
		total, b, prefix, idOf = st.ByStatus[q.Status], x.tasksByUserStatus, concat([]byte(userID), []byte{c}), taskIDFromUserStatusKey
	}
	low, high := createdRange(prefix, q.From, q.To)
	if !q.From.IsZero() || !q.To.IsZero() {
		total = 0
		c := b.Cursor()
		for k, _ := c.Seek(low); k != nil && bytes.Compare(k, high) < 0; k, _ = c.Next() {
			total++
		}
	}
	if q.Offset >= total {
		return nil, total, nil
	}
	var page []*domain.Task
	skip := q.Offset
	err := walkRange(b, low, high, q.Desc, func(k, _ []byte) (bool, error) {
		if skip > 0 {
			skip--
			return false, nil
		}
		t, err := x.getTask(idOf(k))
		if err != nil {
			return true, err
		}
		page = append(page, t)
		return q.Limit > 0 && len(page) >= q.Limit, nil
	})
	return page, total, err
}

// createdRange returns the key range [low, high) of prefix | created_at |
// … keys created in [from, to] (zero: open).
func createdRange(prefix []byte, from, to time.Time) (low, high []byte) {
	low = prefix
	if !from.IsZero() {
		low = concat(prefix, timeKey(from))
	}
	if to.IsZero() {
		return low, prefixEnd(prefix)
	}
	return low, prefixEnd(concat(prefix, timeKey(to)))
}

// listSorted loads the user's matching tasks and sorts them in memory.
func (x *txn) listSorted(userID string, q ListQuery) ([]*domain.Task, int, error) {
	var all []*domain.Task
	err := walkPrefix(x.tasksByUser, []byte(userID), false, func(k, _ []byte) (bool, error) {
		t, err := x.getTask(taskIDFromUserKey(k))
		if err != nil {
			return true, err
		}
		if (q.Status == "" || t.Status == q.Status) && inRange(t.CreatedAt, q.From, q.To) {
			all = append(all, t)
		}
		return false, nil
	})
	if err != nil {
		return nil, 0, err
	}
	byKey := compareBy(q.Sort)
	slices.SortStableFunc(all, func(a, b *domain.Task) int {
		c := cmp.Or(byKey(a, b), strings.Compare(a.ID, b.ID))
		if q.Desc {
			return -c
		}
		return c
	})
	total := len(all)
	lo := min(q.Offset, total)
	hi := total
	if q.Limit > 0 {
		hi = min(lo+q.Limit, total)
	}
	return all[lo:hi], total, nil
}

func compareBy(sort string) func(a, b *domain.Task) int {
	switch sort {
	case SortFilename:
		return func(a, b *domain.Task) int {
			return cmp.Or(
				strings.Compare(strings.ToLower(a.Filename), strings.ToLower(b.Filename)),
				strings.Compare(a.Filename, b.Filename))
		}
	case SortStatus:
		return func(a, b *domain.Task) int { return strings.Compare(string(a.Status), string(b.Status)) }
	case SortPages:
		return func(a, b *domain.Task) int { return cmp.Compare(a.PagesTotal, b.PagesTotal) }
	default: // SortDuration
		return func(a, b *domain.Task) int { return cmp.Compare(a.DurationMS, b.DurationMS) }
	}
}

// inRange reports whether t is in [from, to], zero bounds being open.
func inRange(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || !t.After(to))
}
