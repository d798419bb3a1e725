package sessions

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// noPasswords is a provider that cannot check passwords, like an identity
// provider without the password grant.
type noPasswords struct{ sdk.AuthProvider }

func (noPasswords) Authenticate(context.Context, string, string) (*sdk.AuthenticateResponse, error) {
	return nil, fmt.Errorf("password grant: %w: not offered", sdk.ErrNotImplemented)
}

// TestChainAnswersTruthfully: a provider that does not take passwords is
// passed over, so a wrong password is 401 and a right one signs in,
// whatever its place in the chain (issue 12: oidc,local answered 503 to a
// wrong local password).
func TestChainAnswersTruthfully(t *testing.T) {
	ctx := context.Background()
	local, _, _ := setup(t)
	lp := local.providers[0]
	for _, order := range [][]Provider{
		{provider{name: "oidc", impl: noPasswords{}}, lp},
		{lp, provider{name: "oidc", impl: noPasswords{}}},
	} {
		s, _, _ := setup(t, order...)
		if _, err := s.Login(ctx, "alice@example.org", "wrong-password", "10.0.0.1"); !errors.Is(err, domain.ErrInvalidCredentials) {
			t.Errorf("%s,%s: wrong password: %v, want invalid credentials", order[0].Name(), order[1].Name(), err)
		}
		if _, err := s.Login(ctx, "alice@example.org", "password-1", "10.0.0.1"); err != nil {
			t.Errorf("%s,%s: right password: %v", order[0].Name(), order[1].Name(), err)
		}
	}
	// A provider that is down is still reported as down.
	s, _, _ := setup(t, provider{name: "oidc", impl: downProvider{}}, lp)
	if _, err := s.Login(ctx, "alice@example.org", "wrong-password", "10.0.0.1"); !errors.Is(err, domain.ErrAuthUnavailable) {
		t.Errorf("with a provider down: %v, want unavailable", err)
	}
}

// brokenRecord is a provider that knows the person but answers without an
// email (one account's bad data at the organisation's API).
type brokenRecord struct{ sdk.AuthProvider }

func (brokenRecord) Authenticate(context.Context, string, string) (*sdk.AuthenticateResponse, error) {
	return nil, fmt.Errorf(`auth API answer has no email at "user.email": %w`, sdk.ErrUnsupported)
}

// TestOneAccountsBadRecordIsThatAccountsProblem: a well-formed answer that
// cannot be used for this person is a clear 403 account_unusable, not an
// outage (issue 12 item 9: it was retried and opened the breaker).
func TestOneAccountsBadRecordIsThatAccountsProblem(t *testing.T) {
	s, _, _ := setup(t, provider{name: "http", impl: brokenRecord{}})
	_, err := s.Login(context.Background(), "ada@example.org", "pw", "10.0.0.1")
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != "account_unusable" || !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("got %v, want 403 account_unusable", err)
	}
}

// stalled is a provider that answers only when its caller gives up.
type stalled struct{ sdk.AuthProvider }

func (stalled) Authenticate(ctx context.Context, _, _ string) (*sdk.AuthenticateResponse, error) {
	<-ctx.Done()
	return nil, fmt.Errorf("%w: %w", sdk.ErrUnavailable, ctx.Err())
}

// TestLoginDeadlineBoundsTheChain: one sign-in ends at auth.login_deadline
// however many providers and retries stand in its way.
func TestLoginDeadlineBoundsTheChain(t *testing.T) {
	s, _, _ := setup(t, provider{name: "a", impl: stalled{}}, provider{name: "b", impl: stalled{}})
	s.opts.LoginDeadline = 200 * time.Millisecond
	start := time.Now()
	_, err := s.Login(context.Background(), "ada@example.org", "pw", "10.0.0.1")
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the sign-in took %s with a 200ms deadline", took)
	}
	if !errors.Is(err, domain.ErrAuthUnavailable) {
		t.Fatalf("got %v, want auth_unavailable", err)
	}
}
