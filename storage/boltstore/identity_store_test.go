package boltstore

import (
	"context"
	"errors"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/ocrbox/ocrbox/core/domain"
)

// TestMigration5: an account made before identities existed keeps working:
// migration 5 adds the empty identity buckets, and the account's own
// provider binds its first identity to it at the next sign-in.
func TestMigration5(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openUnmigrated(t)
	if _, _, err := s.migrate(ctx, Migrations()[:4]); err != nil {
		t.Fatal(err)
	}
	// An account as schema 4 stored it.
	old := domain.User{ID: NewID(), Email: "ada@example.org", Name: "Ada", Provider: "oidc"}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte(bucketUsersByEmail)).Put([]byte("ada@example.org"), []byte(old.ID)); err != nil {
			return err
		}
		return putJSON(tx.Bucket([]byte(bucketUsers)), []byte(old.ID), old)
	})
	if err != nil {
		t.Fatal(err)
	}
	if from, to, err := s.migrate(ctx, Migrations()[:5]); err != nil || from != 4 || to != 5 {
		t.Fatalf("migrate = %d, %d, %v; want 4, 5, nil", from, to, err)
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		for _, name := range []string{bucketIdentities, bucketIdentitiesByUser} {
			if tx.Bucket([]byte(name)) == nil {
				t.Errorf("bucket %s missing", name)
			}
		}
		return nil
	})
	u, err := s.SignInUser(ctx, domain.SignIn{Identity: domain.Identity{Provider: "oidc", Subject: "sub-ada"}, Email: "ada@example.org", Name: "Ada L."})
	if err != nil || u.ID != old.ID {
		t.Fatalf("first sign-in after the migration: %v, %v; want the existing account %s", u.ID, err, old.ID)
	}
	if ids, _ := s.Identities(ctx, old.ID); len(ids) != 1 || ids[0].Subject != "sub-ada" {
		t.Errorf("identities after the first sign-in: %+v", ids)
	}
}

// TestSignInUserLinking is the account-linking table: an identity opens only
// its own account; an existing account with the same email is joined only
// when that is safe.
func TestSignInUserLinking(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	id := func(p, sub string) domain.Identity { return domain.Identity{Provider: p, Subject: sub} }
	tests := []struct {
		name string
		// before: sign-ins that happen first (all must succeed)
		before []domain.SignIn
		in     domain.SignIn
		// same: the result is the account the first "before" sign-in made;
		// new: a new account; refused: account_link_required.
		want string
	}{
		{"first sign-in makes an account", nil,
			domain.SignIn{Identity: id("local", "ada@example.org"), Email: "ada@example.org", EmailVerified: true}, "new"},
		{"the same identity again", []domain.SignIn{{Identity: id("oidc", "s1"), Email: "ada@example.org"}},
			domain.SignIn{Identity: id("oidc", "s1"), Email: "ada@example.org"}, "same"},
		{"the same identity with a new email keeps the account", []domain.SignIn{{Identity: id("oidc", "s1"), Email: "ada@example.org", EmailVerified: true}},
			domain.SignIn{Identity: id("oidc", "s1"), Email: "ada.l@example.org", EmailVerified: true}, "same"},
		{"takeover: another provider, same email, unverified", []domain.SignIn{{Identity: id("local", "victim@example.org"), Email: "victim@example.org", EmailVerified: true}},
			domain.SignIn{Identity: id("oidc", "attacker"), Email: "victim@example.org", EmailVerified: false, LinkByVerifiedEmail: true}, "refused"},
		{"another provider, verified email, linking not allowed", []domain.SignIn{{Identity: id("local", "ada@example.org"), Email: "ada@example.org", EmailVerified: true}},
			domain.SignIn{Identity: id("oidc", "s9"), Email: "ada@example.org", EmailVerified: true}, "refused"},
		{"another provider, verified email, linking allowed", []domain.SignIn{{Identity: id("local", "ada@example.org"), Email: "ada@example.org", EmailVerified: true}},
			domain.SignIn{Identity: id("oidc", "s9"), Email: "ada@example.org", EmailVerified: true, LinkByVerifiedEmail: true}, "same"},
		{"takeover: same provider, another subject, same email", []domain.SignIn{{Identity: id("oidc", "victim"), Email: "victim@example.org", EmailVerified: true}},
			domain.SignIn{Identity: id("oidc", "attacker"), Email: "victim@example.org", EmailVerified: false}, "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			var first domain.User
			for i, b := range tt.before {
				u, err := s.SignInUser(ctx, b)
				if err != nil {
					t.Fatalf("sign-in before #%d: %v", i, err)
				}
				if i == 0 {
					first = u
				}
			}
			u, err := s.SignInUser(ctx, tt.in)
			switch tt.want {
			case "refused":
				var de *domain.Error
				if !errors.As(err, &de) || de.Code != "account_link_required" || !errors.Is(err, domain.ErrConflict) {
					t.Fatalf("got %+v, %v; want account_link_required", u, err)
				}
				if ids, _ := s.Identities(ctx, first.ID); len(ids) != len(tt.before) {
					t.Errorf("the refused identity was bound anyway: %+v", ids)
				}
			case "same":
				if err != nil || u.ID != first.ID {
					t.Fatalf("got %s, %v; want the account %s", u.ID, err, first.ID)
				}
			case "new":
				if err != nil || u.ID == "" {
					t.Fatalf("got %+v, %v; want a new account", u, err)
				}
			}
		})
	}
}

// TestLinkIdentityAndDelete: an administrator binds an identity to an
// account by email; deleting the account unbinds it, so the subject makes a
// fresh account afterwards.
func TestLinkIdentityAndDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	ada, err := s.SignInUser(ctx, domain.SignIn{Identity: domain.Identity{Provider: "local", Subject: "ada@example.org"}, Email: "ada@example.org", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	sso := domain.Identity{Provider: "oidc", Subject: "00u1ada"}
	if _, err := s.SignInUser(ctx, domain.SignIn{Identity: sso, Email: "ada@example.org"}); err == nil {
		t.Fatal("an unlinked identity of another provider opened the account")
	}
	if _, err := s.LinkIdentity(ctx, "nobody@example.org", sso); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("link to an unknown email: %v", err)
	}
	if _, err := s.LinkIdentity(ctx, "ADA@example.org", sso); err != nil {
		t.Fatal(err)
	}
	u, err := s.SignInUser(ctx, domain.SignIn{Identity: sso, Email: "ada@example.org"})
	if err != nil || u.ID != ada.ID {
		t.Fatalf("linked identity: %s, %v; want %s", u.ID, err, ada.ID)
	}
	if _, err := s.DeleteUser(ctx, ada.ID); err != nil {
		t.Fatal(err)
	}
	again, err := s.SignInUser(ctx, domain.SignIn{Identity: sso, Email: "ada@example.org"})
	if err != nil || again.ID == ada.ID {
		t.Fatalf("after deletion: %s, %v; want a new account", again.ID, err)
	}
	for _, bad := range []domain.Identity{{Provider: "", Subject: "x"}, {Provider: "oidc", Subject: ""}, {Provider: "a\x00b", Subject: "x"}} {
		if _, err := s.SignInUser(ctx, domain.SignIn{Identity: bad, Email: "x@example.org"}); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("identity %+v: %v, want ErrInvalid", bad, err)
		}
	}
}

// TestListIdentities: Identities (one user) and ListUsersWithIdentities
// (everyone, what `ocrbox users list` prints) show exactly the identities
// bound to each user, after sign-ins, links that move an identity, and a
// deletion.
func TestListIdentities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	signIn := func(p, sub, email string) domain.SignIn {
		return domain.SignIn{Identity: domain.Identity{Provider: p, Subject: sub}, Email: email, EmailVerified: true}
	}
	tests := []struct {
		name string
		// setup changes a fresh store; it fails the test on errors.
		setup func(t *testing.T, s *Store)
		// want: by email, "provider:subject" in key order; nil for a user
		// without identities.
		want map[string][]string
	}{
		{"no users", func(*testing.T, *Store) {}, map[string][]string{}},
		{"a user from before identities has none", func(t *testing.T, s *Store) {
			mustDo(t)(s.UpsertUser(ctx, domain.User{Email: "old@example.org", Provider: "local"}))
		}, map[string][]string{"old@example.org": nil}},
		{"a sign-in binds its identity", func(t *testing.T, s *Store) {
			mustDo(t)(s.SignInUser(ctx, signIn("oidc", "CgNhZGE", "ada@example.org")))
		}, map[string][]string{"ada@example.org": {"oidc:CgNhZGE"}}},
		{"several providers, sorted by provider then subject", func(t *testing.T, s *Store) {
			mustDo(t)(s.SignInUser(ctx, signIn("oidc", "s2", "ada@example.org")))
			mustDo(t)(s.LinkIdentity(ctx, "ada@example.org", domain.Identity{Provider: "ldap", Subject: "uid=ada,dc=example"}))
			mustDo(t)(s.LinkIdentity(ctx, "ada@example.org", domain.Identity{Provider: "oidc", Subject: "s1"}))
			mustDo(t)(s.SignInUser(ctx, signIn("local", "bob@example.org", "bob@example.org")))
		}, map[string][]string{
			"ada@example.org": {"ldap:uid=ada,dc=example", "oidc:s1", "oidc:s2"},
			"bob@example.org": {"local:bob@example.org"},
		}},
		{"a link moves an identity to another user", func(t *testing.T, s *Store) {
			mustDo(t)(s.SignInUser(ctx, signIn("local", "ada@example.org", "ada@example.org")))
			mustDo(t)(s.SignInUser(ctx, signIn("oidc", "sso-1", "ada.sso@example.org")))
			mustDo(t)(s.LinkIdentity(ctx, "ada@example.org", domain.Identity{Provider: "oidc", Subject: "sso-1"}))
		}, map[string][]string{
			"ada@example.org":     {"local:ada@example.org", "oidc:sso-1"},
			"ada.sso@example.org": nil,
		}},
		{"a deleted user's identities go with them", func(t *testing.T, s *Store) {
			mustDo(t)(s.SignInUser(ctx, signIn("oidc", "keep", "ada@example.org")))
			gone := mustDo(t)(s.SignInUser(ctx, signIn("oidc", "gone", "eve@example.org")))
			if _, err := s.DeleteUser(ctx, gone.ID); err != nil {
				t.Fatal(err)
			}
		}, map[string][]string{"ada@example.org": {"oidc:keep"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			tt.setup(t, s)
			users, byUser, err := s.ListUsersWithIdentities(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, u := range users {
				got[u.Email] = flatIdentities(byUser[u.ID])
				one, err := s.Identities(ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(flatIdentities(one), got[u.Email]) {
					t.Errorf("%s: Identities %v, ListUsersWithIdentities %v", u.Email, flatIdentities(one), got[u.Email])
				}
			}
			if len(byUser) > len(users) {
				t.Errorf("identities of %d users for %d users: %v", len(byUser), len(users), byUser)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("a malformed user id is refused", func(t *testing.T) {
		t.Parallel()
		if _, err := newStore(t).Identities(ctx, "not-an-id"); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("Identities(not-an-id): %v, want ErrInvalid", err)
		}
	})
}

// mustDo returns a function that fails t on a non-nil error and passes the
// user on.
func mustDo(t *testing.T) func(domain.User, error) domain.User {
	return func(u domain.User, err error) domain.User {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
}

func flatIdentities(ids []domain.Identity) []string {
	var out []string
	for _, id := range ids {
		out = append(out, id.Provider+":"+id.Subject)
	}
	return out
}
