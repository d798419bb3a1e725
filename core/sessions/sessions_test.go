package sessions

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tokenvault"
	"github.com/ocrbox/ocrbox/plugins/localauth"
	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
)

// provider adapts an in-process sdk.AuthProvider (the real local provider,
// or a failing one standing in for an unreachable backend).
type provider struct {
	name string
	impl sdk.AuthProvider
	err  error
}

func (p provider) Name() string { return p.name }
func (p provider) Auth(context.Context) (sdk.AuthProvider, error) {
	return p.impl, p.err
}

// downProvider is an auth backend that cannot be reached.
type downProvider struct{ sdk.AuthProvider }

func (downProvider) Authenticate(context.Context, string, string) (*sdk.AuthenticateResponse, error) {
	return nil, fmt.Errorf("dial backend: %w", sdk.ErrUnavailable)
}

func testVault(t *testing.T) *tokenvault.Vault {
	t.Helper()
	k := make([]byte, 32)
	rand.Read(k)
	v, err := tokenvault.New(k)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func setup(t *testing.T, provs ...Provider) (*Service, *boltstore.Store, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st := boltstoretest.New(t)
	uf := filepath.Join(dir, "users.json")
	if len(provs) == 0 {
		if err := localauth.OpenUserFile(uf).Add(ctx, "Alice@Example.org", "Alice A.", "password-1"); err != nil {
			t.Fatal(err)
		}
		lp := localauth.New()
		if err := lp.Configure(ctx, map[string]string{"users_file": uf}); err != nil {
			t.Fatal(err)
		}
		provs = []Provider{provider{name: "local", impl: lp}}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return NewService(st, testVault(t), provs, Options{IdleTimeout: time.Hour, Lifetime: 24 * time.Hour, LoginRatePerMinute: 100}, log), st, uf
}

func TestLoginCreatesThenUpdatesUser(t *testing.T) {
	s, st, _ := setup(t)
	ctx := context.Background()
	tok, err := s.Login(ctx, "alice@example.org", "password-1", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if tok.User.Email != "alice@example.org" || tok.User.Name != "Alice A." || tok.User.Provider != "local" || tok.User.ID == "" {
		t.Fatalf("user: %+v", tok.User)
	}
	if len(tok.AccessToken) < 43 || tok.AccessToken == tok.RefreshToken {
		t.Fatalf("tokens must be 256-bit random and distinct: %q %q", tok.AccessToken, tok.RefreshToken)
	}
	// Only the hash is stored.
	if _, err := st.GetSession(ctx, tok.AccessToken); err == nil {
		t.Fatal("the raw token must not be a session key")
	}
	if _, err := st.GetSession(ctx, Hash(tok.AccessToken)); err != nil {
		t.Fatalf("session by hash: %v", err)
	}
	tok2, err := s.Login(ctx, "ALICE@example.org", "password-1", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if tok2.User.ID != tok.User.ID {
		t.Fatalf("second login made a new user: %s vs %s", tok2.User.ID, tok.User.ID)
	}
	u, err := s.Authenticate(ctx, tok.AccessToken)
	if err != nil || u.ID != tok.User.ID {
		t.Fatalf("authenticate: %v %+v", err, u)
	}
}

func TestLoginErrors(t *testing.T) {
	ctx := context.Background()
	s, _, _ := setup(t)
	tests := []struct {
		name, user, pass string
		want             error
	}{
		{"wrong password", "alice@example.org", "nope-nope", domain.ErrInvalidCredentials},
		{"unknown user", "bob@example.org", "password-1", domain.ErrInvalidCredentials},
		{"empty", "", "", domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Login(ctx, tt.user, tt.pass, "10.0.0.1")
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.pass) && tt.pass != "" {
				t.Fatal("the password leaked into the error")
			}
		})
	}
}

func TestProviderDownIsUnavailable(t *testing.T) {
	ctx := context.Background()
	s, _, _ := setup(t, provider{name: "http", impl: downProvider{}})
	_, err := s.Login(ctx, "alice@example.org", "password-1", "10.0.0.1")
	if !errors.Is(err, domain.ErrAuthUnavailable) {
		t.Fatalf("got %v", err)
	}
	s2, _, _ := setup(t, provider{name: "dead", err: errors.New("plugin process gone")})
	if _, err := s2.Login(ctx, "alice@example.org", "password-1", "10.0.0.1"); !errors.Is(err, domain.ErrAuthUnavailable) {
		t.Fatalf("got %v", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	ctx := context.Background()
	s, _, _ := setup(t)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	tok, err := s.Login(ctx, "alice@example.org", "password-1", "1.2.3.4")
	if err != nil {
		t.Fatal(err)
	}
	// Activity slides the idle expiry forward…
	for range 3 {
		now = now.Add(50 * time.Minute)
		if _, err := s.Authenticate(ctx, tok.AccessToken); err != nil {
			t.Fatalf("active session expired at %s: %v", now, err)
		}
	}
	// …but idleness ends it.
	now = now.Add(61 * time.Minute)
	if _, err := s.Authenticate(ctx, tok.AccessToken); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("idle session: %v", err)
	}
	// The absolute lifetime ends even an active session.
	tok, _ = s.Login(ctx, "alice@example.org", "password-1", "1.2.3.4")
	for range 30 {
		now = now.Add(55 * time.Minute)
		_, err = s.Authenticate(ctx, tok.AccessToken)
	}
	if !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("session outlived its lifetime: %v", err)
	}
}

func TestDeletedAccountLosesSessions(t *testing.T) {
	ctx := context.Background()
	s, _, usersFile := setup(t)
	tok, err := s.Login(ctx, "alice@example.org", "password-1", "1.2.3.4")
	if err != nil {
		t.Fatal(err)
	}
	// Remove the account from the provider's users file, as `ocrbox users delete` does.
	if err := localauth.OpenUserFile(usersFile).Delete(ctx, "alice@example.org"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok.AccessToken); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("session of a deleted account still valid: %v", err)
	}
	if _, err := s.Refresh(ctx, tok.RefreshToken); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("refresh of a deleted account: %v", err)
	}
}

// TestSweepExpired: sessions nobody uses again are removed by the sweep,
// live ones stay.
func TestSweepExpired(t *testing.T) {
	ctx := context.Background()
	s, st, _ := setup(t)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	idle, err := s.Login(ctx, "alice@example.org", "password-1", "1.2.3.4")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(50 * time.Minute)
	live, err := s.Login(ctx, "alice@example.org", "password-1", "1.2.3.4")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * time.Minute) // idle is past its 1 h idle timeout, live is not
	if n := s.SweepExpired(ctx); n != 1 {
		t.Fatalf("swept %d, want 1", n)
	}
	if _, err := st.GetSession(ctx, Hash(idle.AccessToken)); err == nil {
		t.Fatal("the idle session is still stored")
	}
	if _, err := s.Authenticate(ctx, live.AccessToken); err != nil {
		t.Fatalf("the live session was swept: %v", err)
	}
}
