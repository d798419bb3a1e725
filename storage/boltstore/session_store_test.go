package boltstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	u := newUser(t, s, "s@example.org")
	sess := domain.Session{
		TokenHash: "tok1", UserID: u.ID, Provider: "local", CreatedAt: base,
		LastSeen: base, ExpiresAt: base.Add(time.Hour), RefreshHash: "ref1",
	}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSession(ctx, "tok1")
	if err != nil || got.TokenHash != "tok1" || got.UserID != u.ID || !got.ExpiresAt.Equal(sess.ExpiresAt) {
		t.Fatalf("GetSession = %+v, %v", got, err)
	}

	// Refresh rotation re-keys the refresh index in the same transaction.
	upd, err := s.UpdateSession(ctx, "tok1", func(s *domain.Session) error {
		s.RefreshHash = "ref2"
		s.LastSeen = base.Add(time.Minute)
		return nil
	})
	if err != nil || upd.RefreshHash != "ref2" {
		t.Fatalf("UpdateSession = %+v, %v", upd, err)
	}
	_, err = s.FindSessionByRefresh(ctx, "ref1")
	wantErr(t, err, domain.ErrNotFound)
	if found, err := s.FindSessionByRefresh(ctx, "ref2"); err != nil || found.TokenHash != "tok1" {
		t.Fatalf("FindSessionByRefresh(ref2) = %+v, %v", found, err)
	}
	checkConsistency(t, s)

	if err := s.DeleteSession(ctx, "tok1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetSession(ctx, "tok1")
	wantErr(t, err, domain.ErrNotFound)
	wantErr(t, s.DeleteSession(ctx, "tok1"), domain.ErrNotFound)
	checkConsistency(t, s)
}

func TestSessionErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	u := newUser(t, s, "e@example.org")
	if err := s.CreateSession(ctx, domain.Session{TokenHash: "t1", UserID: u.ID, RefreshHash: "r1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, domain.Session{TokenHash: "t2", UserID: u.ID}); err != nil {
		t.Fatal(err)
	}
	fnErr := errors.New("refresh failed")
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"unknown user", s.CreateSession(ctx, domain.Session{TokenHash: "x", UserID: NewID()}), domain.ErrNotFound},
		{"bad user id", s.CreateSession(ctx, domain.Session{TokenHash: "x", UserID: "u"}), domain.ErrInvalid},
		{"empty token", s.CreateSession(ctx, domain.Session{UserID: u.ID}), domain.ErrInvalid},
		{"token taken", s.CreateSession(ctx, domain.Session{TokenHash: "t1", UserID: u.ID}), domain.ErrConflict},
		{"refresh taken", s.CreateSession(ctx, domain.Session{TokenHash: "t3", UserID: u.ID, RefreshHash: "r1"}), domain.ErrConflict},
		{"update refresh taken", updErr(s, "t2", func(x *domain.Session) error { x.RefreshHash = "r1"; return nil }), domain.ErrConflict},
		{"update user id", updErr(s, "t2", func(x *domain.Session) error { x.UserID = NewID(); return nil }), domain.ErrInvalid},
		{"update fn error", updErr(s, "t2", func(*domain.Session) error { return fnErr }), fnErr},
		{"update unknown", updErr(s, "nope", func(*domain.Session) error { return nil }), domain.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.err, tt.want) })
	}
	if got, _ := s.GetSession(ctx, "t2"); got.RefreshHash != "" {
		t.Errorf("failed updates leaked: %+v", got)
	}
	checkConsistency(t, s)
}

func updErr(s *Store, token string, fn func(*domain.Session) error) error {
	_, err := s.UpdateSession(context.Background(), token, fn)
	return err
}

func TestDeleteExpiredSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a := newUser(t, s, "a@example.org")
	b := newUser(t, s, "b@example.org")
	now := base
	for _, sess := range []domain.Session{
		{TokenHash: "a-live", UserID: a.ID, ExpiresAt: now.Add(time.Hour)},
		{TokenHash: "a-old", UserID: a.ID, ExpiresAt: now.Add(-time.Hour), RefreshHash: "r-old"},
		{TokenHash: "b-idle", UserID: b.ID, ExpiresAt: now.Add(time.Hour), IdleExpiry: now},
		{TokenHash: "b-live", UserID: b.ID, IdleExpiry: now.Add(time.Second)},
		{TokenHash: "b-forever", UserID: b.ID},
	} {
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteExpiredSessions(ctx, now)
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want 2", n, err)
	}
	for token, alive := range map[string]bool{"a-live": true, "a-old": false, "b-idle": false, "b-live": true, "b-forever": true} {
		if _, err := s.GetSession(ctx, token); (err == nil) != alive {
			t.Errorf("session %s: err = %v, want alive=%v", token, err, alive)
		}
	}
	checkConsistency(t, s)
}
