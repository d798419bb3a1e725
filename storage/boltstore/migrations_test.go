package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openUnmigrated(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "ocrbox.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMigrationListIsContiguous(t *testing.T) {
	t.Parallel()
	for i, m := range Migrations() {
		if m.Version != i+1 {
			t.Errorf("migration %d has version %d, want %d", i, m.Version, i+1)
		}
		if m.Name == "" || m.Up == nil {
			t.Errorf("migration %d lacks a name or Up", m.Version)
		}
	}
	if LatestSchema() != len(Migrations()) {
		t.Errorf("LatestSchema() = %d, want %d", LatestSchema(), len(Migrations()))
	}
}

// TestMigration1 checks that migration 1 creates the whole bucket tree of
// the package comment and records version 1.
func TestMigration1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openUnmigrated(t)
	from, to, err := s.migrate(ctx, Migrations()[:1])
	if err != nil || from != 0 || to != 1 {
		t.Fatalf("migrate = %d, %d, %v; want 0, 1, nil", from, to, err)
	}
	want := []string{"meta", "users", "users_by_email", "tasks", "task_files", "tasks_by_user",
		"tasks_by_status", "sessions", "sessions_by_user", "sessions_by_refresh", "audit", "user_stats"}
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, name := range want {
			if tx.Bucket([]byte(name)) == nil {
				t.Errorf("bucket %s missing", name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != 1 {
		t.Errorf("SchemaVersion = %d, %v; want 1", v, err)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openUnmigrated(t)
	if _, _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	from, to, err := s.Migrate(ctx)
	if err != nil || from != LatestSchema() || to != LatestSchema() {
		t.Fatalf("second Migrate = %d, %d, %v; want no-op at %d", from, to, err, LatestSchema())
	}
}

// TestMigrateStopsAtFailingStep checks that a failing step rolls back its
// own transaction and keeps the earlier steps.
func TestMigrateStopsAtFailingStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openUnmigrated(t)
	boom := errors.New("boom")
	steps := append(Migrations(), Migration{
		Version: LatestSchema() + 1,
		Name:    "half done",
		Up: func(tx *bolt.Tx) error {
			if _, err := tx.CreateBucket([]byte("half")); err != nil {
				return err
			}
			return boom
		},
	})
	from, to, err := s.migrate(ctx, steps)
	if !errors.Is(err, boom) || from != 0 || to != LatestSchema() {
		t.Fatalf("migrate = %d, %d, %v; want 0, %d, boom", from, to, err, LatestSchema())
	}
	if v, _ := s.SchemaVersion(ctx); v != LatestSchema() {
		t.Errorf("SchemaVersion = %d, want %d", v, LatestSchema())
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("half")) != nil {
			t.Error("failed step left its bucket behind")
		}
		return nil
	})
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openUnmigrated(t)
	if err := s.db.Update(func(tx *bolt.Tx) error { return writeSchemaVersion(tx, LatestSchema()+1) }); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Migrate(ctx)
	wantErr(t, err, ErrSchemaTooNew)
}

// TestMigration2 checks that migration 2 creates audit_by_user and indexes
// the events already in the log by their user, leaving out events without
// one, so ListAudit finds old events too.
func TestMigration2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openUnmigrated(t)
	if _, _, err := s.migrate(ctx, Migrations()[:1]); err != nil {
		t.Fatal(err)
	}
	a, b := NewID(), NewID()
	old := []AuditEvent{
		{Time: base, UserID: a, Action: "download", Result: "allowed"},
		{Time: base, UserID: b, Action: "download", Result: "denied"},
		{Time: base.Add(time.Second), Action: "auth.login", Result: "invalid_credentials"},
		{Time: base.Add(2 * time.Second), UserID: a, Action: "download", Result: "not_found"},
	}
	// Written the way version 1 wrote them: the log only.
	err := s.db.Update(func(tx *bolt.Tx) error {
		audit := tx.Bucket([]byte(bucketAudit))
		for i, ev := range old {
			if err := putJSON(audit, auditKey(ev.Time, uint64(i+1)), ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	from, to, err := s.migrate(ctx, Migrations()[:2])
	if err != nil || from != 1 || to != 2 {
		t.Fatalf("migrate = %d, %d, %v; want 1, 2, nil", from, to, err)
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		idx := tx.Bucket([]byte(bucketAuditByUser))
		if idx == nil {
			t.Fatal("audit_by_user missing")
		}
		if n := idx.Stats().KeyN; n != 3 {
			t.Errorf("audit_by_user has %d keys, want 3", n)
		}
		return nil
	})
	// ListAudit needs the whole current bucket tree (later migrations).
	if _, _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string][]string{a: {"not_found", "allowed"}, b: {"denied"}} {
		got, err := s.ListAudit(ctx, user, 0)
		if err != nil {
			t.Fatal(err)
		}
		var results []string
		for _, ev := range got {
			results = append(results, ev.Result)
		}
		if !slices.Equal(results, want) {
			t.Errorf("ListAudit after migration = %v, want %v", results, want)
		}
	}
}
