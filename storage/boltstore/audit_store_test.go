package boltstore

import (
	"bytes"
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a, b := NewID(), NewID()
	events := []AuditEvent{
		{Time: base, UserID: a, Action: "task.create", Result: "ok"},
		{Time: base, UserID: b, Action: "file.download", Result: "forbidden", TaskID: NewID()},
		{Time: base, UserID: a, Action: "file.download", Result: "ok"}, // same instant: seq orders
		{Time: base.Add(time.Second), UserID: a, Action: "task.delete", Result: "ok", IP: "10.0.0.1"},
		{Action: "auth.login", Result: "invalid_credentials"}, // unknown user, time filled in
	}
	for _, ev := range events {
		if err := s.AppendAudit(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		user  string
		limit int
		want  []string
	}{
		{a, 0, []string{"task.delete", "file.download", "task.create"}},
		{a, 2, []string{"task.delete", "file.download"}},
		{b, 0, []string{"file.download"}},
		{NewID(), 0, nil},
	}
	for _, tt := range tests {
		got, err := s.ListAudit(ctx, tt.user, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, ev := range got {
			if ev.UserID != tt.user {
				t.Errorf("ListAudit(%s) returned an event of %s", tt.user, ev.UserID)
			}
			actions = append(actions, ev.Action)
		}
		if len(actions) != len(tt.want) {
			t.Errorf("ListAudit(%s, %d) = %v, want %v", tt.user, tt.limit, actions, tt.want)
			continue
		}
		for i := range actions {
			if actions[i] != tt.want[i] {
				t.Errorf("ListAudit(%s, %d) = %v, want %v", tt.user, tt.limit, actions, tt.want)
				break
			}
		}
	}
	wantErr(t, s.AppendAudit(ctx, AuditEvent{UserID: a}), domain.ErrInvalid)
	wantErr(t, s.AppendAudit(ctx, AuditEvent{UserID: "x", Action: "a"}), domain.ErrInvalid)
	_, err := s.ListAudit(ctx, a, -1)
	wantErr(t, err, domain.ErrInvalid)
}

// TestListAuditIsolation: a user's listing reads only their own index
// range, never another user's events, and an index entry that points at
// someone else's event is refused rather than returned.
func TestListAuditIsolation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a, b := NewID(), NewID()
	for i := range 50 {
		u := a
		if i%5 == 0 {
			u = b
		}
		ev := AuditEvent{Time: base.Add(time.Duration(i) * time.Second), UserID: u, Action: "download", Result: "allowed", TaskID: u}
		if err := s.AppendAudit(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	for user, want := range map[string]int{a: 40, b: 10} {
		got, err := s.ListAudit(ctx, user, MaxAuditLimit)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Errorf("ListAudit(%s) returned %d events, want %d", user, len(got), want)
		}
		for i, ev := range got {
			if ev.UserID != user || ev.TaskID != user {
				t.Errorf("ListAudit(%s) returned an event of %s", user, ev.UserID)
			}
			if i > 0 && ev.Time.After(got[i-1].Time) {
				t.Errorf("events not newest first")
			}
		}
	}
	if _, err := s.ListAudit(ctx, a, MaxAuditLimit+1); err == nil {
		t.Error("limit above MaxAuditLimit accepted")
	}

	// Plant an entry under a that points at one of b's events.
	var bKey []byte
	_ = s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket([]byte(bucketAuditByUser)).Cursor().Seek([]byte(b))
		bKey = bytes.Clone(k[idLen:])
		return nil
	})
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketAuditByUser)).Put(concat([]byte(a), bKey), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ListAudit(ctx, a, MaxAuditLimit)
	if err == nil {
		t.Errorf("a tampered index was served: %d events", len(got))
	}
}

func TestDeleteAuditBefore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a := NewID()
	for i := range 5 { // a's events at base, base+1h … base+4h
		if err := s.AppendAudit(ctx, AuditEvent{Time: base.Add(time.Duration(i) * time.Hour), UserID: a, Action: "file.download", Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendAudit(ctx, AuditEvent{Time: base, Action: "auth.login", Result: "invalid_credentials"}); err != nil {
		t.Fatal(err)
	}
	cutoff := base.Add(150 * time.Minute) // the 3 of a's before it, and the anonymous one
	if n, err := s.DeleteAuditBefore(ctx, cutoff, 2); err != nil || n != 2 {
		t.Fatalf("first batch: %d %v, want 2", n, err)
	}
	if n, err := s.DeleteAuditBefore(ctx, cutoff, 2); err != nil || n != 2 {
		t.Fatalf("second batch: %d %v, want 2", n, err)
	}
	if n, err := s.DeleteAuditBefore(ctx, cutoff, 2); err != nil || n != 0 {
		t.Fatalf("third batch: %d %v, want 0", n, err)
	}
	left, err := s.ListAudit(ctx, a, 0)
	if err != nil || len(left) != 2 || !left[1].Time.Equal(base.Add(3*time.Hour)) {
		t.Fatalf("left: %+v %v, want the events at +3h and +4h", left, err)
	}
	// audit_by_user holds exactly the events that remain.
	_ = s.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket([]byte(bucketAuditByUser)).Stats().KeyN; n != 2 {
			t.Errorf("audit_by_user keeps %d entries, want 2", n)
		}
		return nil
	})
}
