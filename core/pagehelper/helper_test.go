package pagehelper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// faultKey makes the helper started from this test binary misbehave after
// Setup applied its limits: the hook exists only in the test binary.
const faultKey = "OCRBOX_TEST_PAGEHELPER_FAULT"

// TestMain runs the helper when the Runner re-executes this test binary as
// `<test binary> pagehelper …`, as ocrbox serve re-executes itself.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == Subcommand {
		if code := Setup(os.Args[2:], os.Stderr); code != 0 {
			os.Exit(code)
		}
		fault(os.Getenv(faultKey))
		os.Exit(serve(os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// fault misbehaves as asked; "" does nothing.
func fault(mode string) {
	switch {
	case mode == "segv":
		// What a decoder bug looks like from outside: death by SIGSEGV. The
		// Go runtime keeps its own handler, so restore the default with
		// rt_sigaction first (act: handler, flags, restorer, mask).
		var act [4]uint64 // SIG_DFL
		_, _, _ = syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGSEGV),
			uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
		_ = syscall.Kill(os.Getpid(), syscall.SIGSEGV)
		time.Sleep(time.Minute)
	case mode == "hang":
		time.Sleep(time.Hour)
	case mode == "spin":
		for {
		}
	case mode == "alloc":
		// Touch 1 GiB: more than the address-space budget the test gives.
		b := make([]byte, 1<<30)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		fmt.Println(len(b))
	case strings.HasPrefix(mode, "dial "):
		// Exit 0 when the dial fails (no network), 7 when it connected.
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(mode, "dial "), 2*time.Second)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dial:", err)
			os.Exit(0)
		}
		c.Close()
		os.Exit(7)
	}
}

func corpus(t *testing.T) string { return testenv.Corpus(t) }

// newRunner runs this test binary as the helper.
func newRunner(t *testing.T, opts Options) *Runner {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	opts.Command = []string{self, Subcommand}
	r, err := New(opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// job is page i of a corpus file, written to a fresh Out.
func job(t *testing.T, file string, i int) pages.Job {
	t.Helper()
	doc, err := pages.Open(context.Background(), filepath.Join(corpus(t), file), "", pages.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	j, err := doc.Job(i, filepath.Join(t.TempDir(), "page"))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestExtractInHelper(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{})
	tests := []struct {
		file string
		page int
		w, h int
		asIs bool
	}{
		{"pages/phototest-rotated-L.png", 0, 480, 640, true},
		{"multipage/four-pages.tif", 3, 640, 480, false},
		{"multipage/three-pages.pdf", 0, 960, 720, false},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			t.Parallel()
			j := job(t, tc.file, tc.page)
			p, err := r.Extract(context.Background(), j)
			if err != nil {
				t.Fatal(err)
			}
			if p.Number != tc.page+1 || p.Width != tc.w || p.Height != tc.h {
				t.Errorf("page %d %dx%d, want page %d %dx%d", p.Number, p.Width, p.Height, tc.page+1, tc.w, tc.h)
			}
			if want := map[bool]string{true: j.Path, false: j.Out}[tc.asIs]; p.Path != want {
				t.Errorf("page at %q, want %q", p.Path, want)
			}
			data, err := os.ReadFile(p.Path)
			if err != nil {
				t.Fatal(err)
			}
			if ct, err := pages.Sniff(data); err != nil || ct != p.ContentType {
				t.Errorf("page sniffs as %q (%v), says %q", ct, err, p.ContentType)
			}
		})
	}
}

// TestUnreadablePageIsPermanent: the decoder's verdict crosses the process
// boundary as the same *domain.Error.
func TestUnreadablePageIsPermanent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(corpus(t), "pages/phototest-rotated-L.png"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cut.png")
	if err := os.WriteFile(path, src[:len(src)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, Options{})
	_, err = r.Extract(context.Background(), pages.Job{Path: path, ContentType: pages.TypePNG, Pages: 1, Out: filepath.Join(dir, "out")})
	var de *domain.Error
	if !errors.As(err, &de) || !errors.Is(err, domain.ErrBadInput) || de.Code != "unreadable_input" {
		t.Fatalf("err = %v, want unreadable_input", err)
	}
	if errors.Is(err, domain.ErrTransient) {
		t.Error("an unreadable page must not be retried")
	}
}

// TestHelperFailures: a helper that crashes, hangs, spins or runs out of
// its address space fails the call with a transient *Error saying which,
// within its limits; the caller (this process) is untouched.
func TestHelperFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault string
		opts  Options
		want  string
		max   time.Duration
	}{
		{"segv", Options{}, "the page decoder crashed (segmentation fault)", 10 * time.Second},
		{"hang", Options{Timeout: time.Second}, "decoding the page took longer than 1s", 10 * time.Second},
		{"spin", Options{Timeout: time.Minute, CPUTime: time.Second}, "decoding the page used more than its CPU time limit (1 s)", 20 * time.Second},
		{"alloc", Options{AddressSpace: 256 << 20}, "the page decoder failed (exit status 2)", 20 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.fault, func(t *testing.T) {
			t.Parallel()
			tc.opts.Env = []string{faultKey + "=" + tc.fault}
			r := newRunner(t, tc.opts)
			start := time.Now()
			_, err := r.Extract(context.Background(), job(t, "pages/phototest-rotated-L.png", 0))
			elapsed := time.Since(start)
			var he *Error
			if !errors.As(err, &he) || !errors.Is(err, domain.ErrTransient) {
				t.Fatalf("err = %v (%T), want a transient *Error", err, err)
			}
			if he.Message != tc.want {
				t.Errorf("message %q, want %q", he.Message, tc.want)
			}
			if elapsed > tc.max {
				t.Errorf("took %s, want < %s", elapsed, tc.max)
			}
		})
	}
}

// TestCancelKillsHelper: the caller giving up ends the helper at once.
func TestCancelKillsHelper(t *testing.T) {
	t.Parallel()
	r := newRunner(t, Options{Env: []string{faultKey + "=hang"}})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.Extract(ctx, job(t, "pages/phototest-rotated-L.png", 0))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancel took %s", d)
	}
}

// TestNoNetwork: where the kernel allows user namespaces, the helper cannot
// reach a server listening on this machine's loopback.
func TestNoNetwork(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var logs bytes.Buffer
	self, _ := os.Executable()
	r, err := New(Options{Command: []string{self, Subcommand}, Env: []string{faultKey + "=dial " + ln.Addr().String()}},
		slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.run(context.Background(), []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.nsOK {
		t.Skipf("no user namespaces here; the runner said: %s", logs.String())
	}
	if code := res.state.ExitCode(); code != 0 {
		t.Fatalf("helper exit %d (7: it reached the loopback listener); stderr %s", code, res.stderr)
	}
}

// TestRefusesToRunByHand: without the server's cookie the helper stops.
func TestRefusesToRunByHand(t *testing.T) {
	t.Setenv(cookieKey, "")
	var stderr bytes.Buffer
	if code := Main(nil, strings.NewReader("{}"), io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "not run by hand") {
		t.Fatalf("code %d, stderr %q", code, stderr.String())
	}
}

// TestRetryAfterKilledAttempt: an attempt killed after it created its
// output file does not make the next attempt fail on that file.
func TestRetryAfterKilledAttempt(t *testing.T) {
	t.Parallel()
	j := job(t, "multipage/four-pages.tif", 1)
	if err := os.WriteFile(j.Out, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := newRunner(t, Options{}).Extract(context.Background(), j)
	if err != nil {
		t.Fatalf("Extract with a stale output file: %v", err)
	}
	if p.Path != j.Out || p.Width != 2560 {
		t.Errorf("page %dx%d at %q", p.Width, p.Height, p.Path)
	}
	// A failed attempt leaves nothing behind.
	r := newRunner(t, Options{Env: []string{faultKey + "=segv"}})
	if _, err := r.Extract(context.Background(), j); err == nil {
		t.Fatal("the crashing helper succeeded")
	}
	if _, err := os.Stat(j.Out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("output file after a crash: %v", err)
	}
}
