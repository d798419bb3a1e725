package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// EachTask calls fn with userID's tasks created in [from, to] (zero: open)
// and, if status is set, in that status, newest first, chunk tasks at a
// time. Each chunk is read in its own short transaction and fn runs outside
// it, so a slow consumer (an export streamed to a slow client) never holds
// the database; a task created or deleted meanwhile may or may not be seen.
func (s *Store) EachTask(ctx context.Context, userID string, status domain.TaskStatus, from, to time.Time,
	chunk int, fn func([]*domain.Task) error) error {
	if err := checkID("user", userID); err != nil {
		return fmt.Errorf("each task: %w", err)
	}
	if chunk < 1 {
		return fmt.Errorf("each task: chunk %d: %w", chunk, domain.ErrInvalid)
	}
	prefix := []byte(userID)
	useStatus := status != ""
	if useStatus {
		c, err := statusCode(status)
		if err != nil {
			return fmt.Errorf("each task: %w", err)
		}
		prefix = concat(prefix, []byte{c})
	}
	// Keys run prefix | created_at | task id: the range is
	// [prefix|from, prefix|to|0xff…], walked from its end.
	low := concat(prefix, timeKey(from))
	var high []byte
	if to.IsZero() {
		high = prefixEnd(prefix)
	} else {
		high = prefixEnd(concat(prefix, timeKey(to)))
	}
	var (
		next  = high // exclusive upper bound of the next chunk; nil: bucket end
		tasks = make([]*domain.Task, 0, chunk)
	)
	for {
		tasks = tasks[:0]
		err := s.view(ctx, func(x *txn) error {
			b, idOf := x.tasksByUser, taskIDFromUserKey
			if useStatus {
				b, idOf = x.tasksByUserStatus, taskIDFromUserStatusKey
			}
			c := b.Cursor()
			var k []byte
			if next == nil {
				k, _ = c.Last()
			} else if k, _ = c.Seek(next); k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
			for ; k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, low) >= 0 && len(tasks) < chunk; k, _ = c.Prev() {
				t, err := x.getTask(idOf(k))
				if err != nil {
					return err
				}
				tasks = append(tasks, t)
				next = bytes.Clone(k)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("each task: %w", err)
		}
		if len(tasks) > 0 {
			if err := fn(tasks); err != nil {
				return err
			}
		}
		if len(tasks) < chunk {
			return nil
		}
	}
}
