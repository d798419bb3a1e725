package worker_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/worker"
	"github.com/ocrbox/ocrbox/test/testimage"
)

// fastRetry are worker options for the failure tests: retries come quickly.
func fastRetry(workers, attempts int, pageTimeout time.Duration) worker.Options {
	return worker.Options{Workers: workers, MaxAttempts: attempts, PageTimeout: pageTimeout,
		PollInterval: 50 * time.Millisecond, Backoff: 10 * time.Millisecond}
}

// A page whose engine process crashes is retried on a restarted process.
func TestEngineCrashIsRetriedOnRestartedProcess(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{engines: []string{"crashonce"}, opts: fastRetry(1, 3, 10*time.Second)})
	single := h.submit(t, "single.png", "crashonce", "txt", grayPNG(t, 1))
	multi := h.submit(t, "three.tif", "crashonce", "txt,json", testimage.GrayTIFF(3))
	// Tasks and their pages run one at a time on the one process, so each
	// crash is followed by the restart that the retry needs.
	h.run(t)

	for _, id := range []string{single.ID, multi.ID} {
		done := h.waitTerminal(t, id, 30*time.Second)
		wantStatus(t, done, domain.StatusCompleted)
		if done.PagesDone != done.PagesTotal {
			t.Errorf("%s: pages %d/%d", done.Filename, done.PagesDone, done.PagesTotal)
		}
	}
	// Every page crashed its process once, then succeeded: 4 pages, 4 crashes.
	calls := engineCalls(t, h.dir)
	if totalCalls(calls) != 8 {
		t.Errorf("Recognize calls by page %v (total %d), want two per page (8)", calls, totalCalls(calls))
	}
	if n := h.restarts(t, "crashonce", 1); n != 4 {
		t.Errorf("restarts = %d, want one per crash (4)", n)
	}
	if !strings.Contains(h.logs.String(), "plugin process exited; restarting") {
		t.Error("the restart is not logged")
	}
}

// A page that crashes the engine every time fails its task after
// MaxAttempts; another engine's task running at the same time is unharmed.
func TestEngineCrashingEveryTimeFailsOnlyItsTask(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{engines: []string{"crashalways", "tesseract"}, opts: fastRetry(2, 3, 10*time.Second)})
	bad := h.submit(t, "doomed.png", "crashalways", "txt", grayPNG(t, 2))
	good := h.submit(t, "fox.png", "tesseract", "txt", textPNG(t, 4, "The quick brown fox"))
	h.run(t)

	failed := h.waitTerminal(t, bad.ID, 30*time.Second)
	wantStatus(t, failed, domain.StatusFailed)
	for _, want := range []string{`"crashalways"`, "page 1", "after 3 attempts"} {
		if !strings.Contains(failed.Error, want) {
			t.Errorf("error %q lacks %q", failed.Error, want)
		}
	}
	if failed.CompletedAt == nil || failed.PagesDone != 0 {
		t.Errorf("failed task: completed_at %v, pages_done %d", failed.CompletedAt, failed.PagesDone)
	}
	if n := totalCalls(engineCalls(t, h.dir)); n != 3 {
		t.Errorf("Recognize called %d times, want MaxAttempts (3)", n)
	}
	for _, f := range failed.Files {
		if f.Kind != domain.KindInput {
			t.Errorf("failed task lists output %+v", f)
		}
	}

	ok := h.waitTerminal(t, good.ID, 30*time.Second)
	wantStatus(t, ok, domain.StatusCompleted)
	if txt := h.readOutput(t, ok, fileOfKind(t, ok, domain.KindTxt)); !strings.Contains(strings.ToLower(string(txt)), "quick") {
		t.Errorf("tesseract task text %q", txt)
	}
}

// A page that hangs the engine times out; the hung process is killed and
// replaced, so the next page on the same engine runs normally.
func TestHungEngineTimesOutAndIsReplaced(t *testing.T) {
	t.Parallel()
	const pageTimeout = time.Second
	h := newHarness(t, setup{engines: []string{"hang"}, opts: fastRetry(1, 2, pageTimeout)})
	hungPage := pngWithMarker(t, grayPNG(t, 3), hangMarker)
	finePage := grayPNG(t, 4)
	hung := h.submit(t, "hangs.png", "hang", "txt", hungPage)
	next := h.submit(t, "fine.png", "hang", "txt", finePage)
	started := time.Now()
	h.run(t)

	failed := h.waitTerminal(t, hung.ID, 20*time.Second)
	took := time.Since(started)
	wantStatus(t, failed, domain.StatusFailed)
	if !strings.Contains(failed.Error, "timed out") || !strings.Contains(failed.Error, "after 2 attempts") {
		t.Errorf("error %q: want a timeout after 2 attempts", failed.Error)
	}
	// Two page timeouts, plus a process restart after each and the backoff;
	// a loaded CI machine needs seconds for each restart, and the point is
	// that the hang ends near the page timeout, not at ocr.page_timeout's
	// default of minutes.
	if limit := 2*pageTimeout + 15*time.Second; took > limit {
		t.Errorf("the hung task took %s to fail, want under %s", took.Round(time.Millisecond), limit)
	}

	ok := h.waitTerminal(t, next.ID, 10*time.Second)
	wantStatus(t, ok, domain.StatusCompleted)
	if n := h.restarts(t, "hang", 1); n != 2 {
		t.Errorf("restarts = %d, want one per timed-out attempt (2)", n)
	}
	hungPIDs, finePIDs := enginePIDs(t, h.dir, hungPage), enginePIDs(t, h.dir, finePage)
	if len(hungPIDs) != 2 || hungPIDs[0] == hungPIDs[1] || len(finePIDs) != 1 || slices.Contains(hungPIDs, finePIDs[0]) {
		t.Fatalf("engine pids of the hung page's calls %v, of the next page's %v: want two hung calls and one normal, each in a process of its own",
			hungPIDs, finePIDs)
	}
	for _, pid := range hungPIDs {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("hung engine process %d still exists (kill -0: %v)", pid, err)
		}
	}
}

// An unreadable page fails its task at once with a message for the user:
// the retry budget is for transient engine failures only.
func TestUnreadableInputFailsWithoutRetry(t *testing.T) {
	t.Parallel()
	full := grayPNG(t, 5)
	tests := []struct {
		name      string
		input     []byte
		failPage  bool // the engine reports the page image unreadable
		wantError string
		wantCalls int
	}{
		{"truncated PNG", full[:len(full)/2], false, "corrupt or truncated", 0},
		{"engine cannot read the page", full, true, "page 1 could not be read", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, setup{engines: []string{"flaky"}, opts: fastRetry(1, 3, 10*time.Second)})
			if tt.failPage {
				touch(t, h.dir, "fail-page-1")
			}
			task := h.submit(t, "scan.png", "flaky", "txt", tt.input)
			started := time.Now()
			h.run(t)
			failed := h.waitTerminal(t, task.ID, 10*time.Second)
			wantStatus(t, failed, domain.StatusFailed)
			if !strings.Contains(failed.Error, tt.wantError) {
				t.Errorf("error %q lacks %q", failed.Error, tt.wantError)
			}
			if calls := totalCalls(engineCalls(t, h.dir)); calls != tt.wantCalls {
				t.Errorf("engine called %d times, want %d (no retries)", calls, tt.wantCalls)
			}
			if took := time.Since(started); took > 2*time.Second {
				t.Errorf("failing took %s", took)
			}
			if strings.Contains(h.logs.String(), "page attempt failed") {
				t.Error("a permanent failure was retried")
			}
		})
	}
}

// Every page that outlives PageTimeout must count as a timeout and get its
// process replaced, whichever side of the gRPC call notices the deadline
// first: the host's timer, or the plugin's gRPC server, which received the
// deadline with the call and resets the stream (RST_STREAM CANCEL) when it
// passes. The plugin wins that race for a few percent of hung pages, hence
// the many pages; a missed one leaves its process wedged for the next page.
func TestEveryHungPageIsDetectedAsTimeout(t *testing.T) {
	t.Parallel()
	const hungPages = 48
	h := newHarness(t, setup{engines: []string{"hang"}, processes: 2, opts: fastRetry(2, 1, 100*time.Millisecond)})
	var ids []string
	for i := range hungPages {
		task := h.submit(t, fmt.Sprintf("hangs-%02d.png", i), "hang", "txt", pngWithMarker(t, grayPNG(t, i), hangMarker))
		ids = append(ids, task.ID)
	}
	next := h.submit(t, "fine.png", "hang", "txt", grayPNG(t, 99))
	h.run(t)

	missed := 0
	for _, id := range ids {
		failed := h.waitTerminal(t, id, 20*time.Second)
		wantStatus(t, failed, domain.StatusFailed)
		if !strings.Contains(failed.Error, "timed out") {
			missed++
			t.Errorf("%s: error %q: the timeout went unnoticed", failed.Filename, failed.Error)
		}
	}
	if fine := h.waitTerminal(t, next.ID, 10*time.Second); fine.Status != domain.StatusCompleted {
		t.Errorf("the normal page after them: %s, %q", fine.Status, fine.Error)
	}
	if n := h.restarts(t, "hang", 2); n != hungPages {
		t.Errorf("restarts = %d, want one per hung page (%d); %d timeouts were not recognised", n, hungPages, missed)
	}
}
