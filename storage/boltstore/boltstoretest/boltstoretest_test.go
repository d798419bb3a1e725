package boltstoretest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/storage/boltstore"
)

func TestKit(t *testing.T) {
	ctx := context.Background()
	s := New(t)
	if v, err := s.SchemaVersion(ctx); err != nil || v != boltstore.LatestSchema() {
		t.Fatalf("schema %d (%v), want %d", v, err, boltstore.LatestSchema())
	}
	alice, bob := User(t, s, "alice@example.org"), User(t, s, "bob@example.org")
	now := time.Now().UTC()
	var tasks []*domain.Task
	for range 3 {
		tasks = append(tasks, &domain.Task{ID: boltstore.NewID(), UserID: alice.ID, Filename: "a.png",
			Status: domain.StatusPending, CreatedAt: now})
	}
	CreateTasks(t, s, tasks...)
	if st, err := s.UserStats(ctx, alice.ID); err != nil || st.Tasks != 3 {
		t.Fatalf("alice has %d tasks (%v), want 3", st.Tasks, err)
	}
	for i, u := range []domain.User{alice, alice, bob} {
		sess := domain.Session{TokenHash: string(rune('a' + i)), UserID: u.ID, CreatedAt: now,
			ExpiresAt: now.Add(time.Hour), IdleExpiry: now.Add(time.Hour)}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	if n := DeleteUserSessions(t, s, alice.ID); n != 2 {
		t.Fatalf("deleted %d of alice's sessions, want 2", n)
	}
	if n, err := s.CountSessions(ctx); err != nil || n != 1 {
		t.Fatalf("%d sessions left (%v), want bob's 1", n, err)
	}
}

// TestOpenAgain: a store closed by the test opens again at its path with
// what was written (a restart), and the second cleanup's Close is harmless.
func TestOpenAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ocrbox.db")
	s := Open(t, path)
	u := User(t, s, "alice@example.org")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = Open(t, path)
	if got, err := s.GetUser(context.Background(), u.ID); err != nil || got.Email != u.Email {
		t.Fatalf("after reopening: %+v, %v", got, err)
	}
}
