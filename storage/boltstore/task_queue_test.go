package boltstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestClaimNextPendingOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a := newUser(t, s, "a@example.org")
	b := newUser(t, s, "b@example.org")
	late := taskAt(a.ID, 0, "late.pdf")
	late.QueuedAt = base.Add(time.Hour) // a retry, re-queued later
	early := taskAt(b.ID, time.Minute, "early.pdf")
	done := taskAt(a.ID, -time.Hour, "done.pdf")
	done.Status = domain.StatusCompleted
	mustCreate(t, s, late, early, done)

	if n, oldest, err := s.QueueStats(ctx); err != nil || n != 2 || !oldest.Equal(early.QueuedAt) {
		t.Fatalf("QueueStats = %d, %v, %v; want 2, %v", n, oldest, err, early.QueuedAt)
	}
	now := base.Add(2 * time.Hour)
	for _, want := range []*domain.Task{early, late} {
		got, err := s.ClaimNextPending(ctx, now)
		if err != nil || got == nil || got.ID != want.ID {
			t.Fatalf("claim = %+v, %v; want %s", got, err, want.Filename)
		}
		if got.Status != domain.StatusProcessing || got.Attempts != 1 || got.StartedAt == nil || !got.StartedAt.Equal(now) {
			t.Errorf("claimed task = %+v", got)
		}
		stored, _ := s.GetTask(ctx, want.UserID, want.ID)
		if stored.Status != domain.StatusProcessing {
			t.Errorf("stored status = %s", stored.Status)
		}
	}
	if got, err := s.ClaimNextPending(ctx, now); got != nil || err != nil {
		t.Fatalf("claim on empty queue = %+v, %v; want nil, nil", got, err)
	}
	if n, oldest, _ := s.QueueStats(ctx); n != 0 || !oldest.IsZero() {
		t.Errorf("QueueStats on empty queue = %d, %v", n, oldest)
	}
	checkConsistency(t, s)
}

func TestClaimIsAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	u := newUser(t, s, "c@example.org")
	const tasks, workers = 60, 8
	for i := range tasks {
		mustCreate(t, s, taskAt(u.ID, time.Duration(i)*time.Millisecond, "t.pdf"))
	}
	var (
		mu      sync.Mutex
		claimed = map[string]int{}
		wg      sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				task, err := s.ClaimNextPending(ctx, base)
				if err != nil {
					t.Error(err)
					return
				}
				if task == nil {
					return
				}
				mu.Lock()
				claimed[task.ID]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != tasks {
		t.Errorf("claimed %d distinct tasks, want %d", len(claimed), tasks)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("task %s claimed %d times", id, n)
		}
	}
	checkConsistency(t, s)
}

func TestRequeueProcessing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	u := newUser(t, s, "r@example.org")
	first := taskAt(u.ID, 0, "first.pdf")
	second := taskAt(u.ID, time.Second, "second.pdf")
	mustCreate(t, s, first, second)
	if _, err := s.ClaimNextPending(ctx, base); err != nil { // first is now processing
		t.Fatal(err)
	}
	newer := taskAt(u.ID, time.Minute, "newer.pdf")
	mustCreate(t, s, newer)

	n, err := s.RequeueProcessing(ctx, base.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("RequeueProcessing = %d, %v; want 1", n, err)
	}
	if n, _ := s.RequeueProcessing(ctx, base.Add(time.Hour)); n != 0 {
		t.Errorf("second RequeueProcessing = %d, want 0", n)
	}
	// The crashed task keeps its place at the head of the queue and its
	// attempt count and start time.
	got, err := s.ClaimNextPending(ctx, base.Add(2*time.Hour))
	if err != nil || got.ID != first.ID {
		t.Fatalf("claim after requeue = %+v, %v; want first", got, err)
	}
	if got.Attempts != 2 || !got.StartedAt.Equal(base) {
		t.Errorf("re-claimed task attempts %d, started %v", got.Attempts, got.StartedAt)
	}
	checkConsistency(t, s)
}
