package boltstore

import (
	"context"
	"testing"
	"time"

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
