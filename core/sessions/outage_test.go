package sessions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
)

// tokenIdP issues tokens that live 60 s, with or without a refresh token,
// and answers renewals as the test says.
type tokenIdP struct {
	sdk.UnimplementedAuth
	refreshToken string
	renew        atomic.Value // error to answer renewals with; nil renews
	renewals     atomic.Int32
}

func (p *tokenIdP) Configure(context.Context, map[string]string) error { return nil }
func (p *tokenIdP) Info(context.Context) (*sdk.ProviderInfo, error) {
	return &sdk.ProviderInfo{Name: "oidc"}, nil
}

func (p *tokenIdP) Authenticate(context.Context, string, string) (*sdk.AuthenticateResponse, error) {
	return &sdk.AuthenticateResponse{User: &sdk.UserInfo{Subject: "s1", Email: "ada@example.org", Name: "Ada"},
		AccessToken: "at", RefreshToken: p.refreshToken, ExpiresIn: 60}, nil
}

func (p *tokenIdP) RefreshToken(context.Context, string) (*sdk.AuthenticateResponse, error) {
	p.renewals.Add(1)
	if err, _ := p.renew.Load().(error); err != nil {
		return nil, err
	}
	return &sdk.AuthenticateResponse{AccessToken: "at2", RefreshToken: "rt2", ExpiresIn: 60}, nil
}

// TestSessionsOutliveOutagesNotRefusals: sessions follow what the provider
// says, not how long its tokens live (issue 12 items 2, 6 and 7).
func TestSessionsOutliveOutagesNotRefusals(t *testing.T) {
	down := fmt.Errorf("token endpoint: %w: connection refused", sdk.ErrUnavailable)
	refused := fmt.Errorf("token endpoint: %w: invalid_grant", sdk.ErrInvalidCredentials)
	misconfigured := fmt.Errorf("token endpoint: %w: invalid_client", sdk.ErrMisconfigured)
	const grace, without = time.Hour, 4 * time.Hour
	tests := []struct {
		name    string
		refresh string // refresh token the IdP issues
		renew   error
		// alive at these offsets from sign-in (the tokens expire at 60 s)
		aliveAt, deadAt []time.Duration
	}{
		{"renewals work", "rt", nil, []time.Duration{2 * time.Minute, 30 * time.Minute}, nil},
		{"provider down: the grace, then the end", "rt", down,
			[]time.Duration{2 * time.Minute, 50 * time.Minute}, []time.Duration{62 * time.Minute}},
		{"refresh token refused: the end at once", "rt", refused, nil, []time.Duration{59 * time.Second}},
		{"misconfigured: the tokens' expiry", "rt", misconfigured, []time.Duration{50 * time.Second}, []time.Duration{2 * time.Minute}},
		{"no refresh token: session_without_refresh", "", nil,
			[]time.Duration{2 * time.Minute, 3 * time.Hour}, []time.Duration{4*time.Hour + time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := boltstoretest.New(t)
			idp := &tokenIdP{refreshToken: tt.refresh}
			if tt.renew != nil {
				idp.renew.Store(tt.renew)
			}
			s := NewService(st, testVault(t), []Provider{provider{name: "oidc", impl: idp}},
				Options{IdleTimeout: 24 * time.Hour, Lifetime: 720 * time.Hour, LoginRatePerMinute: 100,
					RefreshBuffer: 30 * time.Second, OutageGrace: grace, WithoutRefresh: without},
				slog.New(slog.NewTextHandler(io.Discard, nil)))
			start := time.Now().UTC()
			now := start
			s.now = func() time.Time { return now }
			tok, err := s.Login(ctx, "ada@example.org", "pw", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			// The refresher runs every 10 s (backoff decides who is due).
			advance := func(to time.Duration) {
				for now.Before(start.Add(to)) {
					now = now.Add(10 * time.Second)
					s.RefreshDue(ctx)
				}
			}
			for _, at := range tt.aliveAt {
				advance(at)
				if _, err := s.Authenticate(ctx, tok.AccessToken); err != nil {
					t.Fatalf("at +%s the session is gone: %v", at, err)
				}
			}
			for _, at := range tt.deadAt {
				advance(at)
				if _, err := s.Authenticate(ctx, tok.AccessToken); !errors.Is(err, domain.ErrUnauthenticated) {
					t.Fatalf("at +%s the session still works (%v)", at, err)
				}
			}
			if tt.refresh == "" && idp.renewals.Load() != 0 {
				t.Errorf("renewals tried without a refresh token: %d", idp.renewals.Load())
			}
		})
	}
}

// endSessionIdP offers RP-Initiated Logout and issues ID tokens.
type endSessionIdP struct{ tokenIdP }

func (p *endSessionIdP) Info(context.Context) (*sdk.ProviderInfo, error) {
	return &sdk.ProviderInfo{Name: "oidc", EndSessionEndpoint: "https://idp.example.org/logout?ui_locales=de"}, nil
}

func (p *endSessionIdP) Authenticate(ctx context.Context, u, pw string) (*sdk.AuthenticateResponse, error) {
	r, err := p.tokenIdP.Authenticate(ctx, u, pw)
	if r != nil {
		r.IdToken = "eyJhbGciOi.id.token"
	}
	return r, err
}

// TestLogoutEndsTheIdPSessionToo: logout of a session with an ID token at
// an IdP that offers RP-Initiated Logout returns the URL that ends the
// IdP's session and comes back to ocrbox's sign-in page.
func TestLogoutEndsTheIdPSessionToo(t *testing.T) {
	ctx := context.Background()
	idp := &endSessionIdP{tokenIdP{refreshToken: "rt"}}
	s, _, _ := setup(t, provider{name: "oidc", impl: idp})
	tok, err := s.Login(ctx, "ada@example.org", "pw", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Logout(ctx, tok.AccessToken, "https://ocr.example.org/login?signed_out=1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(got)
	if err != nil || u.Host != "idp.example.org" || u.Path != "/logout" {
		t.Fatalf("end-session URL %q", got)
	}
	q := u.Query()
	if q.Get("id_token_hint") != "eyJhbGciOi.id.token" || q.Get("post_logout_redirect_uri") != "https://ocr.example.org/login?signed_out=1" || q.Get("ui_locales") != "de" {
		t.Errorf("end-session URL query %v", q)
	}
	if _, err := s.Authenticate(ctx, tok.AccessToken); err == nil {
		t.Error("the session survived logout")
	}
	// A local session has nothing to end elsewhere.
	l, _, _ := setup(t)
	ltok, err := l.Login(ctx, "alice@example.org", "password-1", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := l.Logout(ctx, ltok.AccessToken, "x"); err != nil || got != "" {
		t.Errorf("local logout: %q, %v", got, err)
	}
}

// TestRenewingDuringAnOutageKeepsTheProviderLimits: renewing the ocrbox
// session (POST /auth/refresh) while the IdP is down must not free the new
// session from the outage grace (found by the IdP scenario tests: the
// renewed session lost its provider expiry and lived on unchecked).
func TestRenewingDuringAnOutageKeepsTheProviderLimits(t *testing.T) {
	ctx := context.Background()
	idp := &tokenIdP{refreshToken: "rt"}
	idp.renew.Store(fmt.Errorf("token endpoint: %w", sdk.ErrUnavailable))
	s, _, _ := setup(t, provider{name: "oidc", impl: idp})
	s.opts.OutageGrace, s.opts.RefreshBuffer = time.Hour, 30*time.Second
	start := time.Now().UTC()
	now := start
	s.now = func() time.Time { return now }
	tok, err := s.Login(ctx, "ada@example.org", "pw", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for now.Before(start.Add(10 * time.Minute)) { // tokens expired at 60 s; the IdP is down
		now = now.Add(10 * time.Second)
		s.RefreshDue(ctx)
	}
	renewed, err := s.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatalf("renewal within the outage grace: %v", err)
	}
	now = start.Add(61*time.Second + time.Hour + time.Minute)
	if _, err := s.Authenticate(ctx, renewed.AccessToken); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("the renewed session outlived the outage grace: %v", err)
	}
}
