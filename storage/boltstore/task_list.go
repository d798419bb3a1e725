package boltstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Sort orders accepted by ListQuery.Sort.
const (
	SortCreatedAt = "created_at" // the default: walks tasks_by_user in key order
	SortFilename  = "filename"   // case-insensitive
	SortStatus    = "status"     // by status name
	SortDuration  = "duration"   // by DurationMS
)

// ListQuery selects and orders a page of one user's tasks.
type ListQuery = domain.ListQuery

func validateQuery(q ListQuery) error {
	switch q.Sort {
	case "", SortCreatedAt, SortFilename, SortStatus, SortDuration:
	default:
		return fmt.Errorf("sort %q: %w", q.Sort, domain.ErrInvalid)
	}
	if q.Status != "" && !q.Status.Valid() {
		return fmt.Errorf("status %q: %w", q.Status, domain.ErrInvalid)
	}
	if q.Offset < 0 || q.Limit < 0 {
		return fmt.Errorf("offset %d, limit %d: %w", q.Offset, q.Limit, domain.ErrInvalid)
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

// listByCreated walks the user's tasks_by_user range in key order, counting
// every match and decoding only the page (and, with a status filter, what
// the filter needs).
func (x *txn) listByCreated(userID string, q ListQuery) ([]*domain.Task, int, error) {
	var (
		page  []*domain.Task
		total int
	)
	err := walkPrefix(x.tasksByUser, []byte(userID), q.Desc, func(k, _ []byte) (bool, error) {
		var t *domain.Task
		if q.Status != "" {
			var err error
			if t, err = x.getTask(taskIDFromUserKey(k)); err != nil {
				return true, err
			}
			if t.Status != q.Status {
				return false, nil
			}
		}
		total++
		if total <= q.Offset || (q.Limit > 0 && len(page) >= q.Limit) {
			return false, nil
		}
		if t == nil {
			var err error
			if t, err = x.getTask(taskIDFromUserKey(k)); err != nil {
				return true, err
			}
		}
		page = append(page, t)
		return false, nil
	})
	return page, total, err
}

// listSorted loads the user's matching tasks and sorts them in memory.
func (x *txn) listSorted(userID string, q ListQuery) ([]*domain.Task, int, error) {
	var all []*domain.Task
	err := walkPrefix(x.tasksByUser, []byte(userID), false, func(k, _ []byte) (bool, error) {
		t, err := x.getTask(taskIDFromUserKey(k))
		if err != nil {
			return true, err
		}
		if q.Status == "" || t.Status == q.Status {
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
	default: // SortDuration
		return func(a, b *domain.Task) int { return cmp.Compare(a.DurationMS, b.DurationMS) }
	}
}
