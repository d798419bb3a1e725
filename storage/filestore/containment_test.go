package filestore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
)

// TestRejectsBadPathParts: every id or name that is not server-made is
// refused before the disk is touched.
func TestRejectsBadPathParts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	tests := []struct{ name, user, task, file string }{
		{"dotdot name", userA, task1, "../x"},
		{"dotdot", userA, task1, ".."},
		{"dot", userA, task1, "."},
		{"slash", userA, task1, "a/b"},
		{"backslash", userA, task1, `a\b`},
		{"empty name", userA, task1, ""},
		{"nul", userA, task1, "a\x00b"},
		{"absolute", userA, task1, "/etc/passwd"},
		{"upper case", userA, task1, "Input.pdf"},
		{"leading dot", userA, task1, ".tmp-input.pdf-1"},
		{"too long", userA, task1, strings.Repeat("a", 65)},
		{"space", userA, task1, "a b"},
		{"dotdot user", "..", task1, "input.pdf"},
		{"absolute task", userA, "/tmp", "input.pdf"},
		{"traversal user", "../../../../../../../../../../../../..", task1, "input.pdf"},
		{"upper-case id", "0190F5D2-7A1B-7C3D-8E4F-00000000000A", task1, "input.pdf"},
		{"empty task", userA, "", "input.pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			calls := map[string]error{}
			_, calls["Create"] = s.Create(ctx, tt.user, tt.task, tt.file)
			_, calls["CreateTemp"] = s.CreateTemp(ctx, tt.user, tt.task, tt.file)
			calls["WriteFileAtomic"] = s.WriteFileAtomic(ctx, tt.user, tt.task, tt.file, []byte("x"))
			_, calls["Open"] = s.Open(ctx, tt.user, tt.task, tt.file)
			_, calls["Stat"] = s.Stat(ctx, tt.user, tt.task, tt.file)
			_, calls["Exists"] = s.Exists(ctx, tt.user, tt.task, tt.file)
			calls["Remove"] = s.Remove(ctx, tt.user, tt.task, tt.file)
			for name, err := range calls {
				if !errors.Is(err, domain.ErrInvalid) {
					t.Errorf("%s err = %v, want ErrInvalid", name, err)
				}
			}
		})
	}
	if err := s.RemoveTask(ctx, userA, "../"+task1); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("RemoveTask err = %v", err)
	}
	if err := s.RemoveUser(ctx, ".."); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("RemoveUser err = %v", err)
	}
	entries, _ := os.ReadDir(s.Dir())
	if len(entries) != 0 {
		t.Errorf("rejected calls left %v in the root", entries)
	}
}

// TestSymlinksDoNotEscape plants symlinks inside the tree, as someone with
// shell access might, and checks that nothing is read, written or removed
// through them outside the task directory.
func TestSymlinksDoNotEscape(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{userA, userB} {
		if err := s.MakeTaskDir(ctx, u, task1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WriteFileAtomic(ctx, userB, task1, "input.pdf", []byte("b's file")); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFileAtomic(ctx, userA, task1, "input.pdf", []byte("a's file")); err != nil {
		t.Fatal(err)
	}
	userC := "0190f5d2-7a1b-7c3d-8e4f-00000000000c"
	taskDir := filepath.Join(s.Dir(), userA, task1)
	relSecret, err := filepath.Rel(taskDir, secret)
	if err != nil {
		t.Fatal(err)
	}
	links := []struct{ link, target string }{
		// A file link with an absolute target outside the root.
		{filepath.Join(taskDir, "abs.txt"), secret},
		// The same with a relative ../../.. target.
		{filepath.Join(taskDir, "rel.txt"), relSecret},
		// A file link to another user's file, inside the root.
		{filepath.Join(taskDir, "other.pdf"), filepath.Join("..", "..", userB, task1, "input.pdf")},
		// A task directory that is a link to a directory outside.
		{filepath.Join(s.Dir(), userA, task2), outside},
		// A user directory that is a link to another user's, inside the root.
		{filepath.Join(s.Dir(), userC), userB},
	}
	for _, l := range links {
		if err := os.Symlink(l.target, l.link); err != nil {
			t.Fatal(err)
		}
	}

	reads := []struct{ user, task, name string }{
		{userA, task1, "abs.txt"},
		{userA, task1, "rel.txt"},
		{userA, task1, "other.pdf"},
		{userA, task2, "secret.txt"},
		{userC, task1, "input.pdf"},
	}
	for _, r := range reads {
		if f, err := s.Open(ctx, r.user, r.task, r.name); err == nil {
			f.Close()
			t.Errorf("Open(%s/%s) followed a symlink out of its task", r.task, r.name)
		}
		if _, err := s.Stat(ctx, r.user, r.task, r.name); err == nil {
			t.Errorf("Stat(%s/%s) followed a symlink out of its task", r.task, r.name)
		}
	}
	if err := s.MakeTaskDir(ctx, userA, task2); err == nil {
		t.Error("MakeTaskDir accepted a symlinked task dir")
	}
	if err := s.MakeTaskDir(ctx, userC, task2); err == nil {
		t.Error("MakeTaskDir accepted a symlinked user dir")
	}
	if _, err := s.Create(ctx, userA, task2, "new.txt"); err == nil {
		t.Error("Create wrote through a symlinked task dir")
	}
	if err := s.WriteFileAtomic(ctx, userC, task1, "input.pdf", []byte("pwned")); err == nil {
		t.Error("WriteFileAtomic wrote through a symlinked user dir")
	}
	if _, err := os.Stat(filepath.Join(outside, "new.txt")); err == nil {
		t.Error("a file was created outside the root")
	}

	// Removing through the links removes at most the links.
	_ = s.Remove(ctx, userA, task1, "abs.txt")
	_ = s.RemoveTask(ctx, userA, task2)
	_ = s.RemoveUser(ctx, userC)
	if b, err := os.ReadFile(secret); err != nil || string(b) != "secret" {
		t.Errorf("outside file after removals: %q, %v", b, err)
	}
	if got := readAll(t, s, userB, task1, "input.pdf"); got != "b's file" {
		t.Errorf("user B's file after removals: %q", got)
	}
	// The links are gone, and what they pointed to is untouched.
	if n := diskUsage(t, s); n != int64(len("b's file")+len("a's file")) {
		t.Errorf("disk usage %d", n)
	}
}
