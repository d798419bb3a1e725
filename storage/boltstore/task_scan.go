package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/ocrbox/ocrbox/core/domain"
)

// ScanTasks returns up to limit tasks of every user in task id order
// (creation order: ids are UUIDv7), starting after the id after ("" = from
// the first). Each call is one short read transaction, so a rebuild of the
// search index walks millions of tasks without holding the database.
// Internal: the search index rebuild only (core/history); like the queue
// path it takes no user id and must never be reachable from a request
// handler.
func (s *Store) ScanTasks(ctx context.Context, after string, limit int) ([]*domain.Task, error) {
	if limit < 1 {
		return nil, fmt.Errorf("scan tasks: limit %d: %w", limit, domain.ErrInvalid)
	}
	var out []*domain.Task
	err := s.view(ctx, func(x *txn) error {
		c := x.tasks.Cursor()
		k, v := c.Seek([]byte(after))
		if k != nil && after != "" && bytes.Equal(k, []byte(after)) {
			k, v = c.Next()
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			var r taskRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode task %s: %w", k, err)
			}
			out = append(out, r.task())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan tasks: %w", err)
	}
	return out, nil
}
