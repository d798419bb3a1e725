package worker_test

import (
	"context"
	"io/fs"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/worker"
	"github.com/ocrbox/ocrbox/test/testimage"
)

// failingWrites makes the first n page writes fail as a file system would,
// with an error that names the file's full path.
type failingWrites struct {
	worker.TaskFiles
	mu   sync.Mutex
	n    int
	errc syscall.Errno
}

func (f *failingWrites) WriteFileAtomic(ctx context.Context, userID, taskID, name string, data []byte) error {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail {
		return &fs.PathError{Op: "write", Path: "/srv/ocrbox/data/files/" + userID + "/" + taskID + "/" + name, Err: f.errc}
	}
	return f.TaskFiles.WriteFileAtomic(ctx, userID, taskID, name, data)
}

// TestFullDiskMakesTasksWait: a page that cannot be stored because the disk
// is full sends its task back to the queue (saying why, without a path)
// instead of failing it; once space is back the task completes.
func TestFullDiskMakesTasksWait(t *testing.T) {
	t.Parallel()
	opts := slowOpts()
	opts.DiskWait = 300 * time.Millisecond
	h := newHarness(t, setup{engines: []string{"slow"}, opts: opts})
	h.wk = worker.New(h.store, &failingWrites{TaskFiles: h.files, n: 2, errc: syscall.ENOSPC}, h.pool, h.broker, h.opts, h.log)
	h.svc.SetRunner(h.wk)
	task := h.submit(t, "two.tif", "slow", "txt", testimage.GrayTIFF(2))
	updates, stop := h.broker.Subscribe(task.ID)
	defer stop()
	var seen []domain.Task
	var mu sync.Mutex
	go func() {
		for u := range updates {
			mu.Lock()
			seen = append(seen, *u)
			mu.Unlock()
		}
	}()
	h.run(t)
	done := h.waitTerminal(t, task.ID, 30*time.Second)
	wantStatus(t, done, domain.StatusCompleted)
	if done.Error != "" {
		t.Errorf("completed task keeps the error %q", done.Error)
	}
	mu.Lock()
	defer mu.Unlock()
	waited := false
	for _, u := range seen {
		if strings.Contains(u.Error, "/") {
			t.Errorf("a task error names a path: %q", u.Error)
		}
		if u.Status == domain.StatusPending && strings.Contains(u.Error, "disk is full") {
			waited = true
		}
		if u.Status == domain.StatusFailed {
			t.Errorf("the task failed on a full disk: %q", u.Error)
		}
	}
	if !waited {
		t.Errorf("no update showed the task waiting for disk space: %+v", seen)
	}
}

// TestStorageErrorsNameNoPath: another storage failure fails the task with
// a message that does not show the server's paths.
func TestStorageErrorsNameNoPath(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{engines: []string{"slow"}, opts: slowOpts()})
	h.wk = worker.New(h.store, &failingWrites{TaskFiles: h.files, n: 100, errc: syscall.EIO}, h.pool, h.broker, h.opts, h.log)
	h.svc.SetRunner(h.wk)
	task := h.submit(t, "one.tif", "slow", "txt", testimage.GrayTIFF(1))
	h.run(t)
	done := h.waitTerminal(t, task.ID, 30*time.Second)
	wantStatus(t, done, domain.StatusFailed)
	if strings.Contains(done.Error, "/srv") || strings.Contains(done.Error, task.ID) {
		t.Errorf("the task's error shows internals: %q", done.Error)
	}
	if !strings.Contains(h.logs.String(), "/srv/ocrbox/data/files") {
		t.Error("the log lost the detail an operator needs")
	}
}
