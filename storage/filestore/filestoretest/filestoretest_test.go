package filestoretest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenAgain: what a tree holds is there when it is opened again at its
// directory (a restart), and closing it before the cleanup is harmless.
func TestOpenAgain(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "files")
	s := Open(t, dir)
	const user, task = "01a2422f-d3ab-74ab-ba22-a04f8f33a55e", "01a2422f-d3ab-7c88-a0cf-7ee3e3af19cb"
	if err := s.MakeTaskDir(ctx, user, task); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFileAtomic(ctx, user, task, "result.txt", []byte("text")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = Open(t, dir)
	if s.Dir() != dir {
		t.Fatalf("Dir() = %q, want %q", s.Dir(), dir)
	}
	if b, err := os.ReadFile(filepath.Join(dir, user, task, "result.txt")); err != nil || string(b) != "text" {
		t.Fatalf("after reopening: %q, %v", b, err)
	}
	if New(t).Dir() == dir {
		t.Fatal("New shares a directory")
	}
}
