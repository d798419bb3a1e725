package sessions

import (
	"context"
	"errors"
	"fmt"
	"testing"

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
