package boltstore

import (
	"context"
	"fmt"

	"github.com/ocrbox/ocrbox/core/domain"
)

// GetTasks loads the listed tasks of userID in one read transaction, in the
// order given. Ids that are malformed, unknown or another user's are left
// out: the caller (a search over the derived index) may hold ids of tasks
// deleted meanwhile, and must never get anyone else's task.
func (s *Store) GetTasks(ctx context.Context, userID string, ids []string) ([]*domain.Task, error) {
	if err := checkID("user", userID); err != nil {
		return nil, fmt.Errorf("get tasks: %w", err)
	}
	out := make([]*domain.Task, 0, len(ids))
	err := s.view(ctx, func(x *txn) error {
		for _, id := range ids {
			if !validID(id) {
				continue
			}
			var r taskRecord
			found, err := getJSON(x.tasks, []byte(id), &r)
			if err != nil {
				return err
			}
			if !found || r.UserID != userID {
				continue
			}
			out = append(out, r.task())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get tasks: %w", err)
	}
	return out, nil
}
