package worker_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/worker"
	"github.com/ocrbox/ocrbox/test/testimage"
)

// taskDirs lists the task directories left in the harness user's tree.
func (h *harness) taskDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(h.files.Dir(), h.user.ID))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// deleteBeforeWrite deletes the task at the worst moment: the worker has a
// page result in hand and writes it after the task's context was checked.
// The write itself must then find the task gone.
type deleteBeforeWrite struct {
	worker.TaskFiles
	once   sync.Once
	delete func()
}

func (d *deleteBeforeWrite) WriteFileAtomic(ctx context.Context, userID, taskID, name string, data []byte) error {
	d.once.Do(d.delete)
	// As if the cancellation arrived just after the worker checked ctx.
	return d.TaskFiles.WriteFileAtomic(context.WithoutCancel(ctx), userID, taskID, name, data)
}

// TestDeleteBetweenRecognitionAndWrite: a task deleted while its page
// result is being stored leaves no directory and no file behind (before,
// the write re-created the directory the delete had just removed).
func TestDeleteBetweenRecognitionAndWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, setup{engines: []string{"slow"}, opts: slowOpts()})
	task := h.submit(t, "two.tif", "slow", "txt", testimage.GrayTIFF(2))
	files := &deleteBeforeWrite{TaskFiles: h.files, delete: func() {
		if err := h.svc.Delete(ctx, h.user.ID, task.ID); err != nil {
			t.Errorf("Delete: %v", err)
		}
	}}
	h.wk = worker.New(h.store, files, h.pool, h.broker, h.opts, h.log)
	h.svc.SetRunner(h.wk)
	h.run(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := h.store.GetTask(ctx, h.user.ID, task.ID); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the task was never deleted: the worker wrote no page result")
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitIdle(t, h.wk, 5*time.Second)
	if dirs := h.taskDirs(t); len(dirs) != 0 {
		t.Fatalf("a deleted task left its directory: %v", dirs)
	}
}

// TestDeleteAtRandomMomentsLeavesNothing deletes 50 tasks, each at a random
// moment of its recognition (before, during and around page writes), with
// two tasks running at a time, and finds no directory left.
func TestDeleteAtRandomMomentsLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	opts := slowOpts()
	opts.Workers = 2
	h := newHarness(t, setup{engines: []string{"slow"}, processes: 2, opts: opts})
	const n = 50
	var ids []string
	for range n {
		ids = append(ids, h.submit(t, "two.tif", "slow", "txt,json", testimage.GrayTIFF(2)).ID)
	}
	h.run(t)
	for _, id := range ids {
		h.waitFor(t, id, 30*time.Second, "started", func(x *domain.Task) bool { return x.Status != domain.StatusPending })
		time.Sleep(time.Duration(rand.Int64N(int64(2 * slowPage))))
		if err := h.svc.Delete(ctx, h.user.ID, id); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	waitIdle(t, h.wk, 10*time.Second)
	if dirs := h.taskDirs(t); len(dirs) != 0 {
		t.Fatalf("%d of %d deleted tasks left their directory: %v", len(dirs), n, dirs)
	}
}
