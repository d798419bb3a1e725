package worker_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/worker"
	"github.com/ocrbox/ocrbox/test/testimage"
)

// slowOpts run one task at a time, one page at a time, on the slow engine.
func slowOpts() worker.Options {
	return worker.Options{Workers: 1, MaxAttempts: 2, PageTimeout: 10 * time.Second,
		PollInterval: 50 * time.Millisecond, Backoff: 10 * time.Millisecond}
}

// pageResults lists the numbers of the pages whose result is on disk.
func (h *harness) pageResults(t *testing.T, task *domain.Task) []int {
	t.Helper()
	var done []int
	for _, name := range h.taskFiles(t, task) {
		var n int
		if _, err := fmt.Sscanf(name, "page-%04d.json", &n); err == nil {
			done = append(done, n)
		}
	}
	return done
}

// waitIdle waits until the worker runs no task.
func waitIdle(t *testing.T, wk *worker.Worker, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for wk.Running() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("worker still runs %d tasks after %s", wk.Running(), timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCancelWhileProcessing(t *testing.T) {
	t.Parallel()
	const total = 6
	h := newHarness(t, setup{engines: []string{"slow"}, opts: slowOpts()})
	task := h.submit(t, "six.tif", "slow", "txt", testimage.GrayTIFF(total))
	if task.PagesTotal != total {
		t.Fatalf("pages_total at upload %d, want %d", task.PagesTotal, total)
	}
	h.run(t)
	h.waitFor(t, task.ID, 10*time.Second, "one page in", func(x *domain.Task) bool { return x.PagesDone >= 1 })
	if n := h.wk.Running(); n != 1 {
		t.Fatalf("Running() = %d while the task processes, want 1", n)
	}

	cancelled, err := h.svc.Cancel(context.Background(), h.user.ID, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, cancelled, domain.StatusCancelled)
	waitIdle(t, h.wk, slowPage+time.Second)
	callsAtStop := totalCalls(engineCalls(t, h.dir))

	// Nothing more happens to the task: no page, no status change, no output.
	time.Sleep(2 * slowPage)
	got := h.get(t, task.ID)
	wantStatus(t, got, domain.StatusCancelled)
	if got.PagesDone >= total || got.Error != "cancelled by user" || got.CompletedAt == nil {
		t.Errorf("cancelled task: pages %d/%d, error %q, completed_at %v", got.PagesDone, got.PagesTotal, got.Error, got.CompletedAt)
	}
	if n := totalCalls(engineCalls(t, h.dir)); n != callsAtStop || n >= total {
		t.Errorf("engine calls: %d when the worker went idle, %d later, of %d pages", callsAtStop, n, total)
	}
	for _, name := range h.taskFiles(t, got) {
		if strings.HasPrefix(name, "result.") {
			t.Errorf("cancelled task has output %s", name)
		}
	}
	if len(got.Files) != 1 {
		t.Errorf("cancelled task lists files %+v", got.Files)
	}
}

func TestDeleteWhileProcessing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, setup{engines: []string{"slow"}, opts: slowOpts()})
	task := h.submit(t, "six.tif", "slow", "txt", testimage.GrayTIFF(6))
	h.run(t)
	h.waitFor(t, task.ID, 10*time.Second, "one page in", func(x *domain.Task) bool { return x.PagesDone >= 1 })

	if err := h.svc.Delete(ctx, h.user.ID, task.ID); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, h.wk, slowPage+time.Second)
	time.Sleep(2 * slowPage)
	if _, err := h.store.GetTask(ctx, h.user.ID, task.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetTask after Delete: %v", err)
	}
	if names := h.taskFiles(t, task); len(names) != 0 {
		t.Errorf("files left on disk after Delete: %v", names)
	}
	if strings.Contains(h.logs.String(), "task failed") {
		t.Error("deleting a running task was logged as a failure")
	}
}

func TestShutdownRequeuesAndNextRunResumes(t *testing.T) {
	t.Parallel()
	const total = 6
	h := newHarness(t, setup{engines: []string{"slow"}, opts: slowOpts()})
	task := h.submit(t, "six.tif", "slow", "txt,json", testimage.GrayTIFF(total))
	stop := h.run(t)
	h.waitFor(t, task.ID, 10*time.Second, "two pages in", func(x *domain.Task) bool { return x.PagesDone >= 2 })

	began := time.Now()
	stop()
	if took := time.Since(began); took > slowPage+time.Second {
		t.Errorf("Run took %s to return after its context ended", took)
	}
	if n := h.wk.Running(); n != 0 {
		t.Errorf("Running() = %d after Run returned", n)
	}
	requeued := h.get(t, task.ID)
	wantStatus(t, requeued, domain.StatusPending)
	kept := h.pageResults(t, requeued)
	if len(kept) < 2 || len(kept) >= total || requeued.PagesDone != len(kept) {
		t.Fatalf("after shutdown: pages_done %d, results on disk for pages %v", requeued.PagesDone, kept)
	}
	if requeued.Error != "" || requeued.CompletedAt != nil {
		t.Errorf("re-queued task: error %q, completed_at %v", requeued.Error, requeued.CompletedAt)
	}
	before := engineCalls(t, h.dir)

	// A new worker, as after a restart of the server, on the same store.
	h.newWorker()
	h.run(t)
	done := h.waitTerminal(t, task.ID, 20*time.Second)
	wantStatus(t, done, domain.StatusCompleted)
	if done.PagesDone != total || done.Attempts != 2 {
		t.Errorf("pages %d/%d, attempts %d (want 2 claims)", done.PagesDone, done.PagesTotal, done.Attempts)
	}
	after := engineCalls(t, h.dir)
	for p := 1; p <= total; p++ {
		again := after[p] - before[p]
		switch {
		case slices.Contains(kept, p) && again != 0:
			t.Errorf("page %d was done before the shutdown but recognised %d more times", p, again)
		case !slices.Contains(kept, p) && again != 1:
			t.Errorf("page %d was not done before the shutdown; recognised %d times after, want 1", p, again)
		}
	}
	txt := h.readOutput(t, done, fileOfKind(t, done, domain.KindTxt))
	if want := strings.Repeat("ok\n\f", total-1) + "ok\n"; string(txt) != want {
		t.Errorf("txt %q, want %q", txt, want)
	}
}

func TestProcessingTaskLeftByCrashIsResumedAtStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, setup{engines: []string{"flaky"}, opts: slowOpts()})
	task := h.submit(t, "two.tif", "flaky", "txt", testimage.GrayTIFF(2))
	// The state a killed server leaves: processing, one page stored, and
	// a half-written output.
	started := time.Now().UTC().Add(-time.Minute)
	if _, err := h.store.UpdateTask(ctx, h.user.ID, task.ID, func(x *domain.Task) error {
		x.Status, x.StartedAt, x.Attempts, x.PagesDone = domain.StatusProcessing, &started, 1, 1
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	page1 := `{"number":1,"width":10,"height":10,"dpi":0,"text":"from before the crash","hocr":"","words":[],"mean_confidence":0}`
	if err := h.files.WriteFileAtomic(ctx, h.user.ID, task.ID, "page-0001.json", []byte(page1)); err != nil {
		t.Fatal(err)
	}
	if err := h.files.WriteFileAtomic(ctx, h.user.ID, task.ID, "result.txt", []byte("half-writ")); err != nil {
		t.Fatal(err)
	}

	h.run(t)
	done := h.waitTerminal(t, task.ID, 10*time.Second)
	wantStatus(t, done, domain.StatusCompleted)
	if done.Attempts != 2 || done.PagesDone != 2 || done.StartedAt == nil || !done.StartedAt.Equal(started) {
		t.Errorf("attempts %d, pages_done %d, started_at %v (want the first run's %v)", done.Attempts, done.PagesDone, done.StartedAt, started)
	}
	if calls := engineCalls(t, h.dir); calls[1] != 0 || calls[2] != 1 {
		t.Errorf("engine calls by page %v: want page 2 only", calls)
	}
	txt := h.readOutput(t, done, fileOfKind(t, done, domain.KindTxt))
	if string(txt) != "from before the crash\n\fok\n" {
		t.Errorf("txt %q", txt)
	}
	if !strings.Contains(h.logs.String(), "re-queued tasks interrupted by a restart") {
		t.Error("the recovery is not logged")
	}
}

func TestRetryAfterFailureStartsClean(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, setup{engines: []string{"flaky"}, opts: slowOpts()})
	touch(t, h.dir, "fail-page-2")
	task := h.submit(t, "two.tif", "flaky", "txt,json", testimage.GrayTIFF(2))
	stop := h.run(t)
	failed := h.waitTerminal(t, task.ID, 10*time.Second)
	wantStatus(t, failed, domain.StatusFailed)
	if !strings.Contains(failed.Error, "page 2 could not be read") || failed.PagesDone != 1 {
		t.Fatalf("first run: error %q, pages_done %d", failed.Error, failed.PagesDone)
	}
	if got := h.pageResults(t, failed); !slices.Equal(got, []int{1}) {
		t.Fatalf("first run left results for pages %v, want [1]", got)
	}
	stop() // so the retried task waits in the queue while we look

	// The engine refused the page as unreadable: a permanent failure, so
	// only a forced retry runs it again.
	if failed.Retryable {
		t.Errorf("a page the engine cannot read left the task retryable")
	}
	if _, err := h.svc.ForceRetry(ctx, h.user.ID, task.ID); err != nil {
		t.Fatal(err)
	}
	queued := h.get(t, task.ID)
	wantStatus(t, queued, domain.StatusPending)
	in, _ := queued.InputFile()
	if names := h.taskFiles(t, queued); !slices.Equal(names, []string{in.StoredName}) {
		t.Errorf("files before the new run %v, want the input %s only", names, in.StoredName)
	}
	if queued.Error != "" || queued.PagesDone != 0 || queued.StartedAt != nil || len(queued.Files) != 1 {
		t.Errorf("retried task: error %q, pages_done %d, started_at %v, files %+v", queued.Error, queued.PagesDone, queued.StartedAt, queued.Files)
	}

	if err := removeFile(h.dir, "fail-page-2"); err != nil {
		t.Fatal(err)
	}
	h.newWorker()
	h.run(t)
	done := h.waitTerminal(t, task.ID, 10*time.Second)
	wantStatus(t, done, domain.StatusCompleted)
	if calls := engineCalls(t, h.dir); calls[1] != 2 || calls[2] != 2 {
		t.Errorf("engine calls by page %v: want both pages recognised again", calls)
	}
	if done.Error != "" || done.PagesDone != 2 || len(done.Files) != 3 {
		t.Errorf("after retry: error %q, pages_done %d, files %+v", done.Error, done.PagesDone, done.Files)
	}
}
