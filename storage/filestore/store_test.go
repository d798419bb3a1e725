package filestore

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
)

const (
	userA = "0190f5d2-7a1b-7c3d-8e4f-00000000000a"
	userB = "0190f5d2-7a1b-7c3d-8e4f-00000000000b"
	task1 = "0190f5d2-7a1b-7c3d-8e4f-000000000001"
	task2 = "0190f5d2-7a1b-7c3d-8e4f-000000000002"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(filepath.Join(t.TempDir(), "files"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func readAll(t *testing.T, s *Store, user, task, name string) string {
	t.Helper()
	f, err := s.Open(context.Background(), user, task, name)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Create(ctx, userA, task1, "input.pdf"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Create before MakeTaskDir: %v, want ErrNotFound", err)
	}
	if err := s.MakeTaskDir(ctx, userA, task1); err != nil {
		t.Fatal(err)
	}
	f, err := s.Create(ctx, userA, task1, "input.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("%PDF-1.7"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := readAll(t, s, userA, task1, "input.pdf"); got != "%PDF-1.7" {
		t.Errorf("read %q", got)
	}
	_, err = s.Create(ctx, userA, task1, "input.pdf")
	if !errors.Is(err, domain.ErrConflict) {
		t.Errorf("second Create err = %v, want ErrConflict", err)
	}

	fi, err := s.Stat(ctx, userA, task1, "input.pdf")
	if err != nil || fi.Size() != 8 || fi.Mode().Perm() != 0o600 {
		t.Errorf("Stat = %v, %v", fi, err)
	}
	dir, err := os.Stat(filepath.Join(s.Dir(), userA, task1))
	if err != nil || dir.Mode().Perm() != 0o700 {
		t.Errorf("task dir = %v, %v; want 0700", dir, err)
	}
	if ok, err := s.Exists(ctx, userA, task1, "input.pdf"); !ok || err != nil {
		t.Errorf("Exists = %v, %v", ok, err)
	}
	if ok, err := s.Exists(ctx, userB, task1, "input.pdf"); ok || err != nil {
		t.Errorf("Exists(other user) = %v, %v; want false, nil", ok, err)
	}
	_, err = s.Open(ctx, userA, task1, "result.txt")
	if !errors.Is(err, domain.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) err = %v, want ErrNotFound", err)
	}
	_, err = s.Open(ctx, userB, task1, "input.pdf")
	if !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Open(other user) err = %v, want ErrNotFound", err)
	}

	if err := s.WriteFileAtomic(ctx, userA, task1, "result.txt", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFileAtomic(ctx, userA, task1, "result.txt", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, userA, task1, "result.txt"); got != "v2" {
		t.Errorf("after rewrite read %q", got)
	}
	if n := diskUsage(t, s); n != 10 {
		t.Errorf("disk usage %d, want 10", n)
	}

	if err := s.Remove(ctx, userA, task1, "result.txt"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, userA, task1, "result.txt"); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	if err := s.RemoveUser(ctx, userA); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), userA)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("user dir after RemoveUser: %v", err)
	}
	if err := s.RemoveUser(ctx, userA); err != nil {
		t.Errorf("second RemoveUser: %v", err)
	}
}

func TestTempFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if err := s.MakeTaskDir(ctx, userA, task1); err != nil {
		t.Fatal(err)
	}
	tf, err := s.CreateTemp(ctx, userA, task1, "input.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(tf, strings.NewReader("streamed")); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Exists(ctx, userA, task1, "input.pdf"); ok {
		t.Error("file visible before Commit")
	}
	if err := tf.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := tf.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if got := readAll(t, s, userA, task1, "input.pdf"); got != "streamed" {
		t.Errorf("read %q", got)
	}

	aborted, err := s.CreateTemp(ctx, userA, task1, "page-0001.json")
	if err != nil {
		t.Fatal(err)
	}
	aborted.WriteString("{}")
	if err := aborted.Abort(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(s.Dir(), userA, task1))
	if len(entries) != 1 || entries[0].Name() != "input.pdf" {
		t.Errorf("task dir after Abort holds %v", entries)
	}
}

func TestRemoveTaskIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	for _, task := range []string{task1, task2} {
		if err := s.MakeTaskDir(ctx, userA, task); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteFileAtomic(ctx, userA, task, "input.pdf", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if err := s.RemoveTask(ctx, userA, task1); err != nil {
			t.Fatalf("RemoveTask #%d: %v", i+1, err)
		}
	}
	if err := s.RemoveTask(ctx, userB, task1); err != nil {
		t.Errorf("RemoveTask for a user without files: %v", err)
	}
	if ok, _ := s.Exists(ctx, userA, task1, "input.pdf"); ok {
		t.Error("task1 file survived RemoveTask")
	}
	if ok, _ := s.Exists(ctx, userA, task2, "input.pdf"); !ok {
		t.Error("RemoveTask(task1) removed task2's file")
	}
}

// diskUsage is the total size of the regular files in the tree, links not
// followed: what a rewrite or removal leaves behind.
func diskUsage(t *testing.T, s *Store) int64 {
	t.Helper()
	var total int64
	err := fs.WalkDir(s.root.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		total += fi.Size()
		return err
	})
	if err != nil {
		t.Fatalf("disk usage: %v", err)
	}
	return total
}
