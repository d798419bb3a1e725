package sessions

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// ldapLike is a directory: it issues no tokens and answers account checks
// (LookupUser) as the test says.
type ldapLike struct {
	sdk.UnimplementedAuth
	lookup  atomic.Value // errBox: how lookups are answered; nil error: found
	lookups atomic.Int32
}

func (p *ldapLike) Configure(context.Context, map[string]string) error { return nil }
func (p *ldapLike) Info(context.Context) (*sdk.ProviderInfo, error) {
	return &sdk.ProviderInfo{Name: "ldap", SupportsPassword: true}, nil
}

func (p *ldapLike) Authenticate(context.Context, string, string) (*sdk.AuthenticateResponse, error) {
	return &sdk.AuthenticateResponse{User: &sdk.UserInfo{Subject: "erin@example.org", Email: "erin@example.org", Name: "Erin"}}, nil
}

func (p *ldapLike) LookupUser(_ context.Context, subject string) (*sdk.UserInfo, error) {
	p.lookups.Add(1)
	if b, _ := p.lookup.Load().(errBox); b.err != nil {
		return nil, b.err
	}
	return &sdk.UserInfo{Subject: subject, Email: subject}, nil
}

// errBox lets an atomic.Value hold errors of any type, and none.
type errBox struct{ err error }

// TestAccountChecksOutliveOutagesNotAnswers: a directory's account check
// (issue 12: "Same for OIDC and LDAP") ends a session when the directory
// answers the account is gone, and not while it cannot be reached — for
// auth.outage_grace after it last vouched for the account.
func TestAccountChecksOutliveOutagesNotAnswers(t *testing.T) {
	down := fmt.Errorf("ldap auth: look up user: connect: %w: connection refused", sdk.ErrUnavailable)
	gone := fmt.Errorf("ldap auth: look up user: %w", sdk.ErrUserNotFound)
	const grace, recheck = time.Hour, time.Minute
	type step struct {
		at     time.Duration // from sign-in
		lookup error         // how the directory answers from then on
		alive  bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"the directory confirms: the session lives", []step{{10 * time.Minute, nil, true}, {5 * time.Hour, nil, true}}},
		{"unreachable from sign-in: the grace, then the end", []step{
			{10 * time.Minute, down, true}, {59 * time.Minute, down, true}, {61 * time.Minute, down, false}}},
		{"the grace runs from the last confirmation", []step{
			{2 * time.Hour, nil, true}, {2*time.Hour + 30*time.Minute, down, true},
			{3*time.Hour - time.Minute, down, true}, {3*time.Hour + time.Minute, down, false}}},
		{"back within the grace: the session goes on", []step{
			{10 * time.Minute, down, true}, {50 * time.Minute, nil, true}, {time.Hour + 45*time.Minute, down, true}, {5 * time.Hour, nil, true}}},
		{"the directory answers the account is gone: the end at the next check", []step{
			{10 * time.Minute, down, true}, {12 * time.Minute, gone, false}}},
		{"no account checks (OIDC): the session lives", []step{{10 * time.Hour, sdk.ErrNotImplemented, true}}},
		{"the directory refuses ocrbox itself: not an outage, the session lives", []step{
			{10 * time.Hour, fmt.Errorf("bind service account: %w", sdk.ErrMisconfigured), true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := &ldapLike{}
			s, _, _ := setup(t, provider{name: "ldap", impl: dir})
			s.opts.Lifetime, s.opts.IdleTimeout = 720*time.Hour, 720*time.Hour
			s.opts.OutageGrace, s.opts.UserRecheck = grace, recheck
			start := time.Now().UTC()
			now := start
			s.now = func() time.Time { return now }
			tok, err := s.Login(ctx, "erin", "pw", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range tt.steps {
				dir.lookup.Store(errBox{st.lookup})
				now = start.Add(st.at)
				_, err := s.Authenticate(ctx, tok.AccessToken)
				if st.alive && err != nil {
					t.Fatalf("at +%s (directory: %v) the session ended: %v", st.at, st.lookup, err)
				}
				if !st.alive && !errors.Is(err, domain.ErrUnauthenticated) {
					t.Fatalf("at +%s (directory: %v) the session still works (%v)", st.at, st.lookup, err)
				}
			}
			if dir.lookups.Load() == 0 {
				t.Error("the directory was never asked")
			}
		})
	}
}
