package boltstore

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// TestDeleteExpiredTasks: exactly the terminal tasks that finished before
// the cutoff go, whatever their owner; pending, processing and recent
// tasks stay, and batches add up to the same set.
func TestDeleteExpiredTasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := func(d time.Duration) *time.Time { v := base.Add(d); return &v }
	day := 24 * time.Hour
	cutoff := base.Add(-30 * day) // now = base, retention 30 days

	type spec struct {
		name      string
		status    domain.TaskStatus
		created   time.Duration // relative to base
		completed *time.Time
		expired   bool
	}
	specs := []spec{
		{"old completed", domain.StatusCompleted, -40 * day, a(-39 * day), true},
		{"old failed", domain.StatusFailed, -40 * day, a(-40 * day), true},
		{"old cancelled, never finished", domain.StatusCancelled, -35 * day, nil, true},
		{"old pending", domain.StatusPending, -50 * day, nil, false},
		{"old processing", domain.StatusProcessing, -50 * day, nil, false},
		{"new completed", domain.StatusCompleted, -2 * day, a(-day), false},
		{"old created, finished after the cutoff", domain.StatusCompleted, -40 * day, a(-29 * day), false},
		{"finished exactly at the cutoff", domain.StatusFailed, -31 * day, a(-30 * day), false},
	}
	for _, batch := range []int{1, 2, 100} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			users := []domain.User{newUser(t, s, "a@example.org"), newUser(t, s, "b@example.org")}
			names := map[string]string{}
			var want []string
			for i, sp := range specs {
				task := taskAt(users[i%2].ID, sp.created, sp.name)
				task.Status, task.CompletedAt = sp.status, sp.completed
				mustCreate(t, s, task)
				names[task.ID] = sp.name
				if sp.expired {
					want = append(want, sp.name)
				}
			}
			var got []string
			for {
				deleted, err := s.DeleteExpiredTasks(ctx, cutoff, batch)
				if err != nil {
					t.Fatal(err)
				}
				if len(deleted) > batch {
					t.Fatalf("batch of %d returned %d tasks", batch, len(deleted))
				}
				for _, d := range deleted {
					got = append(got, names[d.ID])
					if _, err := s.GetTask(ctx, d.UserID, d.ID); err == nil {
						t.Errorf("%s still stored", names[d.ID])
					}
				}
				if len(deleted) < batch {
					break
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("deleted %q, want %q", got, want)
			}
			checkConsistency(t, s)
			n := 0
			for _, u := range users {
				c, _ := s.CountTasks(ctx, u.ID)
				n += c
			}
			if n != len(specs)-len(want) {
				t.Errorf("%d tasks left, want %d", n, len(specs)-len(want))
			}
		})
	}
	s := newStore(t)
	if _, err := s.DeleteExpiredTasks(ctx, cutoff, 0); err == nil {
		t.Error("limit 0 accepted")
	}
}
