package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/core/worker"
)

// submitAs uploads one page as another person.
func (h *harness) submitAs(t *testing.T, user domain.User, filename string, data []byte) *domain.Task {
	t.Helper()
	ctx := context.Background()
	p, err := h.svc.ParseParams(ctx, "slow", "eng", "txt")
	if err != nil {
		t.Fatal(err)
	}
	task, err := h.svc.Create(ctx, user.ID, p, tasks.Upload{Filename: filename, Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("Create(%s): %v", filename, err)
	}
	return task
}

// TestFairShareBetweenPeople: one engine process; Ada queues a batch of
// six pages first, then Bob and Cy one page each. Shared fairly, Bob's and
// Cy's pages finish within the first few of Ada's, and Ada's batch still
// runs in her own order; under ocr.scheduling=fifo (the single line of
// before) they wait for the whole batch.
func TestFairShareBetweenPeople(t *testing.T) {
	for _, mode := range []string{"fair", "fifo"} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, setup{engines: []string{"slow"}, opts: worker.Options{Workers: 1, MaxAttempts: 1,
				PageTimeout: 30 * time.Second, FIFO: mode == "fifo"}})
			h.newWorker()
			ctx := context.Background()
			var others []domain.User
			for _, email := range []string{"bob@example.org", "cy@example.org"} {
				u, err := h.store.UpsertUser(ctx, domain.User{Email: email, Name: email, Provider: "local"})
				if err != nil {
					t.Fatal(err)
				}
				others = append(others, u)
			}
			var batch []*domain.Task
			for i := range 6 {
				batch = append(batch, h.submitAs(t, h.user, fmt.Sprintf("ada-%d.png", i), grayPNG(t, i)))
			}
			bob := h.submitAs(t, others[0], "bob.png", grayPNG(t, 10))
			cy := h.submitAs(t, others[1], "cy.png", grayPNG(t, 11))
			if got, err := h.svc.Get(ctx, others[1].ID, cy.ID); err != nil || got.QueuePosition == 0 {
				t.Fatalf("Cy's queued task: queue_position %d (%v), want a place in line", got.QueuePosition, err)
			}
			// Ada's last page waits longest: its place in line is announced
			// on the event stream as the line moves.
			updates, stop := h.broker.Subscribe(batch[5].ID)
			defer stop()
			var places []int
			var placesMu sync.Mutex
			go func() {
				for x := range updates {
					if x.Status == domain.StatusPending && x.QueuePosition > 0 {
						placesMu.Lock()
						places = append(places, x.QueuePosition)
						placesMu.Unlock()
					}
				}
			}()
			h.run(t)

			order := finishOrder(t, h, append(append([]*domain.Task{}, batch...), bob, cy))
			pos := func(id string) int { return slices.Index(order, id) }
			var adaOrder []string
			for _, id := range order {
				if id != bob.ID && id != cy.ID {
					adaOrder = append(adaOrder, id)
				}
			}
			var adaQueued []string
			for _, x := range batch {
				adaQueued = append(adaQueued, x.ID)
			}
			if !slices.Equal(adaOrder, adaQueued) {
				t.Errorf("Ada's batch finished out of her own order")
			}
			placesMu.Lock()
			announced := slices.Clone(places)
			placesMu.Unlock()
			if len(announced) == 0 || !slices.IsSortedFunc(announced, func(a, b int) int { return b - a }) {
				t.Errorf("places in line announced for Ada's last page: %v, want some, never rising", announced)
			}
			switch mode {
			case "fair":
				// Ada's first page may already run when Bob and Cy queue;
				// then each of them gets the next turns.
				if pos(bob.ID) > 3 || pos(cy.ID) > 3 {
					t.Errorf("fair: Bob's page finished %d. and Cy's %d. of 8, want within the first 4", pos(bob.ID)+1, pos(cy.ID)+1)
				}
			case "fifo":
				if pos(bob.ID) < 6 || pos(cy.ID) < 6 {
					t.Errorf("fifo: Bob's page finished %d. and Cy's %d. of 8, want after Ada's batch", pos(bob.ID)+1, pos(cy.ID)+1)
				}
			}
		})
	}
}

// finishOrder waits for every task to complete and returns their ids in
// the order they completed.
func finishOrder(t *testing.T, h *harness, ts []*domain.Task) []string {
	t.Helper()
	type done struct {
		id string
		at time.Time
	}
	var all []done
	deadline := time.Now().Add(time.Minute)
	for _, x := range ts {
		for {
			got, err := h.store.GetTask(context.Background(), x.UserID, x.ID) // as its owner
			if err != nil {
				t.Fatal(err)
			}
			if got.Status.Terminal() {
				if got.Status != domain.StatusCompleted {
					t.Fatalf("task %s: %s (%s)", got.Filename, got.Status, got.Error)
				}
				all = append(all, done{got.ID, *got.CompletedAt})
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("task %s still %s after a minute", got.Filename, got.Status)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	slices.SortFunc(all, func(a, b done) int { return a.at.Compare(b.at) })
	var ids []string
	for _, d := range all {
		ids = append(ids, d.id)
	}
	return ids
}
