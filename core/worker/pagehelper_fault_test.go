package worker_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/pagehelper"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/test/testimage"
)

// helperFaultKey carries the harness's helperFault to the page helper this
// test binary runs as: "MODE PAGE EXT DIR" makes the helper misbehave on
// page PAGE (1-based) of every upload stored with extension EXT (".png"),
// leaving a marker in DIR for each run. Modes:
//
//	segvonce    dies of SIGSEGV the first time it gets the page
//	segvalways  dies of SIGSEGV every time
//	hang        sleeps an hour, until the worker kills it at the page timeout
//
// Only this test binary reads it; ocrbox itself has no such hook.
const helperFaultKey = "OCRBOX_TEST_PAGEHELPER_FAULT"

// runPageHelper is the page helper: the real one, after the fault if any.
func runPageHelper(args []string) int {
	job, _ := io.ReadAll(os.Stdin)
	if f := strings.Fields(os.Getenv(helperFaultKey)); len(f) == 4 {
		var j pages.Job
		_ = json.Unmarshal(job, &j)
		if fmt.Sprint(j.Index+1) == f[1] && filepath.Ext(j.Path) == f[2] {
			// Leave a marker per run, so the test can count the attempts.
			marker, _ := os.CreateTemp(f[3], fmt.Sprintf("helper-p%d-", j.Index+1))
			marker.Close()
			switch f[0] {
			case "segvonce":
				once := filepath.Join(f[3], fmt.Sprintf("helper-crashed-p%d", j.Index+1))
				if fh, err := os.OpenFile(once, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
					fh.Close()
					segfault()
				}
			case "segvalways":
				segfault()
			case "hang":
				time.Sleep(time.Hour)
			}
		}
	}
	return pagehelper.Main(args, bytes.NewReader(job), os.Stdout, os.Stderr)
}

// segfault dies the way a decoder bug in C does, seen from outside: by
// SIGSEGV. The Go runtime keeps its own handler, so the default is restored
// with rt_sigaction first (act: handler, flags, restorer, mask).
func segfault() {
	var act [4]uint64 // SIG_DFL
	_, _, _ = syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGSEGV),
		uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	_ = syscall.Kill(os.Getpid(), syscall.SIGSEGV)
	time.Sleep(time.Minute)
}

// helperRuns counts the page helper runs the fault recorded for a page.
func helperRuns(t *testing.T, dir string, page int) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, fmt.Sprintf("helper-p%d-*", page)))
	if err != nil {
		t.Fatal(err)
	}
	return len(names)
}

// A page helper that crashes once fails only that page attempt: the page is
// decoded again by a fresh helper, the task completes, and the worker (the
// server's process) carries on.
func TestPageHelperCrashIsRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{engines: []string{"flaky"}, opts: fastRetry(1, 3, 10*time.Second), helperFault: "segvonce 2 .tif"})
	task := h.submit(t, "three.tif", "flaky", "txt,json", testimage.GrayTIFF(3))
	h.run(t)
	done := h.waitTerminal(t, task.ID, 30*time.Second)
	wantStatus(t, done, domain.StatusCompleted)
	if done.PagesDone != 3 {
		t.Errorf("pages done %d, want 3", done.PagesDone)
	}
	if n := helperRuns(t, h.dir, 2); n != 2 {
		t.Errorf("page 2 decoded %d times, want 2 (a crash, then the retry)", n)
	}
	if calls := engineCalls(t, h.dir); calls[2] != 1 {
		t.Errorf("engine calls by page %v: a crashed decode must not reach the engine", calls)
	}
	if !strings.Contains(h.logs.String(), "the page decoder crashed (segmentation fault)") {
		t.Errorf("the crash is not logged:\n%s", h.logs.String())
	}
	h.wantNoScratch(t)
}

// A page helper that crashes every time, or hangs every time, fails its
// task after MaxAttempts with a message saying which page and why; the
// worker stays up and the next task completes.
func TestPageHelperCrashOrHangFailsTask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault, want string
		timeout     time.Duration
	}{
		{"segvalways 1 .png", "page 1 could not be decoded after 3 attempts: the page decoder crashed (segmentation fault)", 10 * time.Second},
		{"hang 1 .png", "page 1 could not be decoded after 3 attempts: decoding the page took longer than 3s", 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(strings.Fields(tc.fault)[0], func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, setup{engines: []string{"flaky"}, opts: fastRetry(1, 3, tc.timeout), helperFault: tc.fault})
			start := time.Now()
			bad := h.submit(t, "doomed.png", "flaky", "txt", grayPNG(t, 3))
			h.run(t)
			failed := h.waitTerminal(t, bad.ID, 60*time.Second)
			wantStatus(t, failed, domain.StatusFailed)
			if failed.Error != tc.want {
				t.Errorf("error %q, want %q", failed.Error, tc.want)
			}
			if n := helperRuns(t, h.dir, 1); n != 3 {
				t.Errorf("page decoded %d times, want MaxAttempts (3)", n)
			}
			if n := totalCalls(engineCalls(t, h.dir)); n != 0 {
				t.Errorf("engine called %d times for a page that never decoded", n)
			}
			t.Logf("failed after %s", time.Since(start))

			// The worker goes on with the next task (not a PNG: not faulty).
			good := h.submit(t, "two.tif", "flaky", "txt", testimage.GrayTIFF(2))
			h.wk.Kick()
			wantStatus(t, h.waitTerminal(t, good.ID, 60*time.Second), domain.StatusCompleted)
			h.wantNoScratch(t)
		})
	}
}
