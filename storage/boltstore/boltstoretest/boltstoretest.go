// Package boltstoretest gives other packages' tests a real, migrated bbolt
// store and the few writes a test needs that the server never does: tasks
// stored without a quota, every session of a user removed. It uses only
// boltstore's exported API, so what a test sets up is what the server could
// have written.
//
//	store := boltstoretest.New(t)
//	alice := boltstoretest.User(t, store, "alice@example.org")
//	boltstoretest.CreateTasks(t, store, &domain.Task{…, UserID: alice.ID})
//
// boltstore's own tests cannot import it (an import cycle); they have the
// same helpers in storage/boltstore/helpers_test.go.
package boltstoretest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/storage/boltstore"
)

// New opens a store in a fresh temporary directory, migrated to the
// current schema, and closes it when t ends.
func New(t testing.TB) *boltstore.Store {
	t.Helper()
	return Open(t, filepath.Join(t.TempDir(), "ocrbox.db"))
}

// Open opens the store at path (created if missing), migrates it to the
// current schema and closes it when t ends: for a test whose database sits
// beside its other files in one data directory, or that opens it again
// after closing it (a restart). Closing it earlier is fine.
func Open(t testing.TB, path string) *boltstore.Store {
	t.Helper()
	ctx := context.Background()
	s, err := boltstore.Open(ctx, path, boltstore.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close %s: %v", path, err)
		}
	})
	if _, _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", path, err)
	}
	return s
}

// User records a local account with the given email (its name too), as a
// first sign-in would, and returns it with its id.
func User(t testing.TB, s *boltstore.Store, email string) domain.User {
	t.Helper()
	u, err := s.UpsertUser(context.Background(), domain.User{Email: email, Name: email, Provider: "local"})
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u
}

// CreateTasks stores each task, in its own transaction and without a quota
// (the zero domain.Quota), or fails t. The caller sets ID, UserID, Status
// and CreatedAt, as for Store.CreateTaskLimited.
func CreateTasks(t testing.TB, s *boltstore.Store, tasks ...*domain.Task) {
	t.Helper()
	for _, task := range tasks {
		if err := s.CreateTaskLimited(context.Background(), task, domain.Quota{}); err != nil {
			t.Fatalf("create task %s: %v", task.Filename, err)
		}
	}
}

// DeleteUserSessions removes every session of userID, as an administrator
// ending someone's access would, and returns how many there were. The
// server removes a user's sessions only with the user (Store.DeleteUser),
// so this is built from ListSessions and DeleteSession.
func DeleteUserSessions(t testing.TB, s *boltstore.Store, userID string) int {
	t.Helper()
	ctx := context.Background()
	sessions, err := s.ListSessions(ctx, func(sess domain.Session) bool { return sess.UserID == userID })
	if err != nil {
		t.Fatalf("list sessions of %s: %v", userID, err)
	}
	for _, sess := range sessions {
		if err := s.DeleteSession(ctx, sess.TokenHash); err != nil {
			t.Fatalf("delete session of %s: %v", userID, err)
		}
	}
	return len(sessions)
}
