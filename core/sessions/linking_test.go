package sessions

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/localauth"
	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
)

// idp is an identity provider that signs in whoever it is told to, with the
// claims it is told to assert (as an IdP that lets users set their own
// email would).
type idp struct {
	sdk.AuthProvider
	user *sdk.UserInfo
}

func (p idp) Authenticate(context.Context, string, string) (*sdk.AuthenticateResponse, error) {
	return &sdk.AuthenticateResponse{User: p.user}, nil
}

// TestNoAccountTakeoverThroughEmail: someone whose identity provider lets
// them claim the victim's email signs in; they must not become the victim
// (issue 12: an unverified email became the local user and saw their tasks).
func TestNoAccountTakeoverThroughEmail(t *testing.T) {
	const victim = "victim@example.org"
	tests := []struct {
		name     string
		claims   map[string]string
		linkable []string
		want     string // "victim", "refused"
	}{
		{"unverified email", map[string]string{"email_verified": "false"}, []string{"oidc"}, "refused"},
		{"no email_verified claim", nil, []string{"oidc"}, "refused"},
		{"verified, provider may not link", map[string]string{"email_verified": "true"}, nil, "refused"},
		{"verified, provider may link", map[string]string{"email_verified": "true"}, []string{"oidc"}, "victim"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			st := boltstoretest.New(t)
			uf := filepath.Join(dir, "users.json")
			if err := localauth.OpenUserFile(uf).Add(ctx, victim, "Victim", "victim-password"); err != nil {
				t.Fatal(err)
			}
			lp := localauth.New()
			if err := lp.Configure(ctx, map[string]string{"users_file": uf}); err != nil {
				t.Fatal(err)
			}
			attacker := idp{user: &sdk.UserInfo{Subject: "attacker-sub", Email: victim, Name: "Not the victim", Extra: tt.claims}}
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			s := NewService(st, testVault(t), []Provider{provider{name: "local", impl: lp}, provider{name: "oidc", impl: attacker}},
				Options{IdleTimeout: time.Hour, Lifetime: 24 * time.Hour, LoginRatePerMinute: 100,
					LinkByVerifiedEmail: tt.linkable, DirectoryProviders: []string{"local"}}, log)

			mine, err := s.Login(ctx, victim, "victim-password", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			// The local password is wrong for the attacker, so the chain
			// reaches the identity provider, which signs them in.
			tok, err := s.Login(ctx, victim, "attacker-password", "127.0.0.1")
			switch tt.want {
			case "refused":
				var de *domain.Error
				if !errors.As(err, &de) || de.Code != "account_link_required" {
					t.Fatalf("got %+v, %v; want account_link_required", tok, err)
				}
				u, _ := st.GetUser(ctx, mine.User.ID)
				if u.Name != "Victim" || u.Provider != "local" {
					t.Errorf("the refused sign-in changed the victim's account: %+v", u)
				}
			case "victim":
				if err != nil || tok.User.ID != mine.User.ID {
					t.Fatalf("verified and linkable: %v, %v; want the existing account", tok, err)
				}
			}
		})
	}
}
