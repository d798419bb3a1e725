package accounts_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/accounts"
	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
	"github.com/ocrbox/ocrbox/storage/filestore/filestoretest"
)

// recorder stands in for the worker and the search index.
type recorder struct {
	mu        sync.Mutex
	cancelled []string
	deindexed []string
}

func (r *recorder) Cancel(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cancelled = append(r.cancelled, id)
}

func (r *recorder) Delete(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deindexed = append(r.deindexed, id)
	return nil
}

// TestPurge deletes alice's tasks (stopping the unfinished ones), files,
// search entries and sessions, and leaves bob's data as it was.
func TestPurge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store := boltstoretest.New(t)
	files := filestoretest.Open(t, filepath.Join(dir, "files"))

	users := map[string]domain.User{}
	tasks := map[string][]*domain.Task{}
	for _, name := range []string{"alice", "bob"} {
		u, err := store.UpsertUser(ctx, domain.User{Email: name + "@Example.org", Provider: "ldap"})
		if err != nil {
			t.Fatal(err)
		}
		users[name] = u
		for i, st := range []domain.TaskStatus{domain.StatusCompleted, domain.StatusProcessing, domain.StatusPending} {
			task := &domain.Task{ID: boltstore.NewID(), UserID: u.ID, Filename: "f.png", Status: st,
				CreatedAt: time.Now().Add(time.Duration(i) * time.Second),
				Files:     []domain.File{{ID: boltstore.NewID(), Kind: domain.KindInput, StoredName: "input.png", Size: 1000}}}
			boltstoretest.CreateTasks(t, store, task)
			if err := files.MakeTaskDir(ctx, u.ID, task.ID); err != nil {
				t.Fatal(err)
			}
			if err := files.WriteFileAtomic(ctx, u.ID, task.ID, "input.png", []byte("png")); err != nil {
				t.Fatal(err)
			}
			tasks[name] = append(tasks[name], task)
		}
		for i := range 2 {
			sess := domain.Session{TokenHash: name + string(rune('0'+i)), UserID: u.ID, CreatedAt: time.Now(),
				ExpiresAt: time.Now().Add(time.Hour), IdleExpiry: time.Now().Add(time.Hour)}
			if err := store.CreateSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
		}
	}
	rec := &recorder{}
	svc := accounts.NewService(store, files, rec, rec, slog.New(slog.NewTextHandler(io.Discard, nil)))

	got, err := svc.Purge(ctx, "ALICE@example.org", "test")
	if err != nil {
		t.Fatal(err)
	}
	want := accounts.Purged{Email: "ALICE@example.org", Found: true, UserID: users["alice"].ID, Tasks: 3, Cancelled: 2,
		Bytes: 3000, Sessions: 2, IndexEntries: 3}
	if got != want {
		t.Errorf("Purge = %+v\nwant    %+v", got, want)
	}
	var aliceIDs, unfinished []string
	for _, task := range tasks["alice"] {
		aliceIDs = append(aliceIDs, task.ID)
		if !task.Status.Terminal() {
			unfinished = append(unfinished, task.ID)
		}
	}
	slices.Sort(aliceIDs)
	slices.Sort(unfinished)
	if d := slices.Sorted(slices.Values(rec.deindexed)); !slices.Equal(d, aliceIDs) {
		t.Errorf("deindexed %v, want %v", d, aliceIDs)
	}
	if c := slices.Sorted(slices.Values(rec.cancelled)); !slices.Equal(c, unfinished) {
		t.Errorf("cancelled %v, want %v", c, unfinished)
	}
	if _, err := os.Stat(filepath.Join(dir, "files", users["alice"].ID)); !os.IsNotExist(err) {
		t.Errorf("alice's files remain: %v", err)
	}
	if _, err := store.GetUserByEmail(ctx, "alice@example.org"); err == nil {
		t.Error("alice's record remains")
	}
	if _, err := store.GetSession(ctx, "alice0"); err == nil {
		t.Error("alice's session remains")
	}
	// Bob: everything as it was.
	bob := users["bob"]
	for _, task := range tasks["bob"] {
		if _, err := store.GetTask(ctx, bob.ID, task.ID); err != nil {
			t.Errorf("bob's task: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "files", bob.ID, task.ID, "input.png")); err != nil {
			t.Errorf("bob's file: %v", err)
		}
	}
	if _, err := store.GetSession(ctx, "bob0"); err != nil {
		t.Errorf("bob's session: %v", err)
	}

	// Again, and someone who never signed in: nothing to do, no error.
	for _, email := range []string{"alice@example.org", "nobody@example.org"} {
		got, err := svc.Purge(ctx, email, "test")
		if err != nil || got.Found || got.Tasks != 0 {
			t.Errorf("Purge(%s) = %+v, %v", email, got, err)
		}
	}
}
