package orphans

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
	"github.com/ocrbox/ocrbox/storage/filestore/filestoretest"
)

func TestSweep(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store := boltstoretest.New(t)
	files := filestoretest.Open(t, filepath.Join(dir, "files"))
	u, err := store.UpsertUser(ctx, domain.User{Email: "a@example.org", Provider: "local"})
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	mkdir := func(taskID string, age time.Time) {
		t.Helper()
		if err := files.MakeTaskDir(ctx, u.ID, taskID); err != nil {
			t.Fatal(err)
		}
		if err := files.WriteFileAtomic(ctx, u.ID, taskID, "input.png", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(dir, "files", u.ID, taskID), age, age); err != nil {
			t.Fatal(err)
		}
	}
	kept := &domain.Task{ID: boltstore.NewID(), UserID: u.ID, Filename: "a.png", Status: domain.StatusCompleted,
		CreatedAt: old, QueuedAt: old}
	boltstoretest.CreateTasks(t, store, kept)
	mkdir(kept.ID, old)
	orphan := boltstore.NewID()
	mkdir(orphan, old)
	young := boltstore.NewID() // an upload in flight: files first, record later
	mkdir(young, time.Now())
	otherUser := boltstore.NewID() // a user directory whose user is gone entirely
	if err := files.MakeTaskDir(ctx, otherUser, kept.ID); err != nil {
		t.Fatal(err)
	}
	if err := files.WriteFileAtomic(ctx, otherUser, kept.ID, "input.png", []byte("x")); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(filepath.Join(dir, "files", otherUser, kept.ID), old, old)

	n, err := Sweep(ctx, store, files, Options{Batch: 1}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || n != 2 {
		t.Fatalf("Sweep: %d removed, %v; want 2 (the orphan, and the same task id under another user)", n, err)
	}
	for _, tc := range []struct {
		user, task string
		want       bool
	}{{u.ID, kept.ID, true}, {u.ID, orphan, false}, {u.ID, young, true}, {otherUser, kept.ID, false}} {
		_, err := os.Stat(filepath.Join(dir, "files", tc.user, tc.task))
		if exists := err == nil; exists != tc.want {
			t.Errorf("%s/%s exists=%v, want %v", tc.user, tc.task, exists, tc.want)
		}
	}
}
