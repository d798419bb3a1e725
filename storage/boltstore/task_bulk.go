package boltstore

import (
	"context"
	"fmt"

	"github.com/ocrbox/ocrbox/core/domain"
)

// CreateTasks stores many new tasks, of existing users, in one transaction:
// all or none, with their index entries, file records and counters, as
// CreateTaskLimited would one by one, without a quota check. The server
// never calls it: it is for benchmarks and tests that need thousands of
// tasks (core/history's million-task benchmark), where a commit per task
// would dominate. It stays in the store because only the store can put many
// tasks in one transaction; boltstoretest.CreateTasks is the one-by-one
// form for ordinary tests.
func (s *Store) CreateTasks(ctx context.Context, tasks []*domain.Task) error {
	for _, t := range tasks {
		if t.QueuedAt.IsZero() {
			t.QueuedAt = t.CreatedAt
		}
		if err := validTask(t); err != nil {
			return fmt.Errorf("create tasks: %w", err)
		}
	}
	err := s.update(ctx, func(x *txn) error {
		known := map[string]bool{}
		for _, t := range tasks {
			if !known[t.UserID] {
				if err := x.requireUser(t.UserID); err != nil {
					return err
				}
				known[t.UserID] = true
			}
			if x.tasks.Get([]byte(t.ID)) != nil {
				return fmt.Errorf("task %s exists: %w", t.ID, domain.ErrConflict)
			}
			if err := x.putTask(nil, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create tasks: %w", err)
	}
	return nil
}
