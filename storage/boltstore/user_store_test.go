package boltstore

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestUpsertUserByEmail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	created, err := s.UpsertUser(ctx, domain.User{Email: " Ada@Example.org ", Name: "Ada", Provider: "local", ID: "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	if !validID(created.ID) || created.CreatedAt.IsZero() || created.Email != "Ada@Example.org" {
		t.Fatalf("created = %+v", created)
	}
	login := base.Add(time.Hour)
	updated, err := s.UpsertUser(ctx, domain.User{
		Email: "ada@example.ORG", Name: "Ada L.", Provider: "oidc",
		Extra: map[string]string{"dept": "math"}, LastLogin: login,
	})
	if err != nil {
		t.Fatal(err)
	}
	if updated.ID != created.ID || !updated.CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("update changed identity: %+v vs %+v", updated, created)
	}
	if updated.Name != "Ada L." || updated.Provider != "oidc" || updated.Extra["dept"] != "math" ||
		!updated.LastLogin.Equal(login) || updated.Email != "Ada@Example.org" {
		t.Errorf("updated = %+v", updated)
	}

	for _, email := range []string{"ADA@example.org", "ada@example.org"} {
		got, err := s.GetUserByEmail(ctx, email)
		if err != nil || got.ID != created.ID || got.Name != "Ada L." {
			t.Errorf("GetUserByEmail(%s) = %+v, %v", email, got, err)
		}
	}
	if got, err := s.GetUser(ctx, created.ID); err != nil || got.Email != created.Email {
		t.Errorf("GetUser = %+v, %v", got, err)
	}
	users, _, err := s.ListUsersWithIdentities(ctx)
	if err != nil || len(users) != 1 {
		t.Errorf("ListUsersWithIdentities = %d users, %v; want 1", len(users), err)
	}
}

func TestUserErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	_, err := s.UpsertUser(ctx, domain.User{Email: "  "})
	wantErr(t, err, domain.ErrInvalid)
	_, err = s.GetUser(ctx, "nope")
	wantErr(t, err, domain.ErrInvalid)
	_, err = s.GetUser(ctx, NewID())
	wantErr(t, err, domain.ErrNotFound)
	_, err = s.GetUserByEmail(ctx, "who@example.org")
	wantErr(t, err, domain.ErrNotFound)
	_, err = s.DeleteUser(ctx, NewID())
	wantErr(t, err, domain.ErrNotFound)
}

func TestDeleteUserCascades(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a := newUser(t, s, "a@example.org")
	b := newUser(t, s, "b@example.org")
	a1, a2, b1 := taskAt(a.ID, 0, "a1.pdf"), taskAt(a.ID, time.Second, "a2.pdf"), taskAt(b.ID, 0, "b1.pdf")
	mustCreate(t, s, a1, a2, b1)
	for _, sess := range []domain.Session{
		{TokenHash: "ta", UserID: a.ID, RefreshHash: "ra"},
		{TokenHash: "ta2", UserID: a.ID},
		{TokenHash: "tb", UserID: b.ID, RefreshHash: "rb"},
	} {
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendAudit(ctx, AuditEvent{UserID: a.ID, Action: "task.create", Result: "ok"}); err != nil {
		t.Fatal(err)
	}

	del, err := s.DeleteUser(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, task := range del.Tasks {
		ids = append(ids, task.ID)
	}
	slices.Sort(ids)
	if del.Sessions != 2 || del.User.ID != a.ID {
		t.Errorf("DeleteUser = user %s, %d sessions; want %s, 2", del.User.ID, del.Sessions, a.ID)
	}
	want := []string{a1.ID, a2.ID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("deleted task ids = %v, want %v", ids, want)
	}

	checks := map[string]error{}
	_, checks["GetUser"] = s.GetUser(ctx, a.ID)
	_, checks["GetUserByEmail"] = s.GetUserByEmail(ctx, a.Email)
	_, checks["GetTask"] = s.GetTask(ctx, a.ID, a1.ID)
	_, checks["GetFile"] = getFile(ctx, s, a.ID, a1.Files[0].ID)
	_, checks["GetSession"] = s.GetSession(ctx, "ta")
	_, checks["FindSessionByRefresh"] = s.FindSessionByRefresh(ctx, "ra")
	for name, err := range checks {
		if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s after DeleteUser: err = %v, want ErrNotFound", name, err)
		}
	}
	if st, err := s.UserStats(ctx, a.ID); err != nil || !st.isZero() {
		t.Errorf("UserStats after DeleteUser = %+v, %v", st, err)
	}
	// b is untouched.
	if _, err := s.GetTask(ctx, b.ID, b1.ID); err != nil {
		t.Errorf("b's task: %v", err)
	}
	if _, err := s.GetSession(ctx, "tb"); err != nil {
		t.Errorf("b's session: %v", err)
	}
	if n, _ := s.CountTasks(ctx, b.ID); n != 1 {
		t.Errorf("b's count = %d, want 1", n)
	}
	if ev, _ := s.ListAudit(ctx, a.ID, 0); len(ev) != 1 {
		t.Errorf("audit events kept = %d, want 1", len(ev))
	}
	checkConsistency(t, s)
}
