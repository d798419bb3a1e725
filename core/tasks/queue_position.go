package tasks

import (
	"context"

	"github.com/ocrbox/ocrbox/core/domain"
)

// placeInLine fills QueuePosition on the pending tasks among ts, which the
// caller has already loaded as one user's own.
func (s *Service) placeInLine(ctx context.Context, ts ...*domain.Task) {
	if s.runner == nil {
		return
	}
	for _, t := range ts {
		if t != nil && t.Status == domain.StatusPending {
			t.QueuePosition = s.runner.QueuePosition(ctx, t.ID)
		}
	}
}
