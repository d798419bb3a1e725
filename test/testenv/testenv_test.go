package testenv

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder stands in for a test: it records whether RequireOrSkip failed or
// skipped it. Embedding testing.TB supplies the methods it does not use.
type recorder struct {
	testing.TB
	failed, skipped string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
}

func TestRequireOrSkip(t *testing.T) {
	tests := []struct {
		ci          string
		fail, skips bool
	}{
		{"true", true, false},
		{"", false, true},
		{"false", false, true},
		{"1", false, true}, // only CI=true, as every CI job sets it
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			var r recorder
			RequireOrSkip(&r, "no %s", "slapd")
			if (r.failed != "") != tt.fail || (r.skipped != "") != tt.skips {
				t.Fatalf("failed %q, skipped %q; want fail %v, skip %v", r.failed, r.skipped, tt.fail, tt.skips)
			}
			if got := r.failed + r.skipped; got != "no slapd" && got != "CI=true requires it: no slapd" {
				t.Errorf("message %q", got)
			}
		})
	}
}

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprintln(&b, `{"msg":"x"}`)
			}
		})
	}
	wg.Wait()
	if n := len(b.JSONLines(t)); n != 800 {
		t.Fatalf("%d lines, want 800", n)
	}
	at := b.Len()
	b.Write([]byte("tail"))
	if got := b.From(at); got != "tail" {
		t.Errorf("From(%d) = %q", at, got)
	}
	if got := b.From(b.Len() + 10); got != "" {
		t.Errorf("From past the end = %q", got)
	}
}

// TestCorpusDir: the corpus is found from the module root, so the path is
// the same whichever package asks.
func TestCorpusDir(t *testing.T) {
	dir, err := CorpusDir()
	want, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "testdata", "ocr"))
	if dir != want {
		t.Fatalf("CorpusDir = %q, want %q", dir, want)
	}
	if _, statErr := os.Stat(want); (statErr == nil) != (err == nil) {
		t.Fatalf("CorpusDir error %v, but stat says %v", err, statErr)
	}
}

// TestHungListener: a connection is taken and nothing is ever said.
func TestHungListener(t *testing.T) {
	c, err := net.Dial("tcp", HungListener(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %d bytes, %v; want a timeout", n, err)
	}
}

func TestRequirePrograms(t *testing.T) {
	t.Setenv("CI", "true")
	var r recorder
	RequirePrograms(&r, "go", "no-such-program-ocrbox")
	if !strings.Contains(r.failed, "no-such-program-ocrbox not installed") || r.skipped != "" {
		t.Fatalf("failed %q, skipped %q", r.failed, r.skipped)
	}
	r = recorder{}
	RequirePrograms(&r, "go")
	if r.failed != "" || r.skipped != "" {
		t.Fatalf("go is on PATH: failed %q, skipped %q", r.failed, r.skipped)
	}
}
