package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOpenLockedByAnotherProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ocrbox.db")
	first, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer first.Close()

	// flock conflicts between two open file descriptions even in one
	// process, so this stands in for a second ocrbox.
	start := time.Now()
	_, err = Open(ctx, path, Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open err = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "database is locked by another ocrbox process") {
		t.Errorf("message %q does not say who holds the lock", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("waited %s, want about the 100ms timeout", waited)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ocrbox.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error { return writeSchemaVersion(tx, LatestSchema()+1) })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	_, err = Open(ctx, path, Options{})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open err = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "upgrade ocrbox") {
		t.Errorf("message %q does not tell the admin to upgrade", err)
	}
	// The refused Open must have released the lock.
	s2, err := Open(ctx, path, Options{Timeout: 100 * time.Millisecond})
	if err == nil || errors.Is(err, ErrLocked) {
		t.Fatalf("reopen err = %v, want ErrSchemaTooNew again", err)
	}
	if s2 != nil {
		s2.Close()
	}
}

func TestUnmigratedStoreAnswersErrNotMigrated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "ocrbox.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("SchemaVersion = %d, %v; want 0", v, err)
	}
	_, _, err = s.ListUsersWithIdentities(ctx)
	wantErr(t, err, ErrNotMigrated)
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	u := NewID()
	calls := map[string]error{}
	_, _, calls["ListUsersWithIdentities"] = s.ListUsersWithIdentities(ctx)
	_, calls["GetTask"] = s.GetTask(ctx, u, NewID())
	_, calls["ClaimNextPending"] = s.ClaimNextPending(ctx, base)
	_, _, calls["Migrate"] = s.Migrate(ctx)
	for name, err := range calls {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s err = %v, want context.Canceled", name, err)
		}
	}
}
