package authguard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// exchanger answers every code exchange with err and counts the exchanges.
type exchanger struct {
	backend
	err   error
	codes atomic.Int64
}

func (e *exchanger) CompleteBrowserLogin(context.Context, *sdk.CompleteBrowserLoginRequest) (*sdk.AuthenticateResponse, error) {
	e.codes.Add(1)
	return nil, e.err
}

type exchangeSrc struct{ e *exchanger }

func (s exchangeSrc) Auth(context.Context) (sdk.AuthProvider, error) { return s.e, nil }

// TestCodeIsExchangedOnce: whatever goes wrong, the guard sends an
// authorization code to the provider once (IdPs may revoke every token of a
// code they see twice); and a misconfigured provider neither is retried nor
// opens the breaker that would turn everyone's sign-in into "unavailable".
func TestCodeIsExchangedOnce(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("token endpoint answered 502: %w", sdk.ErrUnavailable),
		fmt.Errorf("%w: invalid_client", sdk.ErrMisconfigured),
		fmt.Errorf("%w: ID token audience is not ours", sdk.ErrMisconfigured),
		sdk.ErrInvalidCredentials,
	} {
		e := &exchanger{err: err}
		g := New("idp", exchangeSrc{e}, Options{Backoff: time.Millisecond, Retries: 3, TripAfter: 3},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		a, _ := g.Auth(context.Background())
		for range 3 {
			if _, got := a.CompleteBrowserLogin(context.Background(), &sdk.CompleteBrowserLoginRequest{Code: "c"}); !errors.Is(got, err) {
				t.Fatalf("%v: got %v", err, got)
			}
		}
		if n := e.codes.Load(); n != 3 {
			t.Errorf("%v: 3 sign-ins sent %d code exchanges, want 3 (one each)", err, n)
		}
		if errors.Is(err, sdk.ErrMisconfigured) && g.State() != "closed" {
			t.Errorf("%v: a misconfiguration opened the breaker (%s)", err, g.State())
		}
	}
}

// unusable answers every sign-in with one account's unusable record.
type unusable struct{ exchanger }

func (u *unusable) Authenticate(context.Context, string, string) (*sdk.AuthenticateResponse, error) {
	u.codes.Add(1)
	return nil, fmt.Errorf("answer has no email: %w", sdk.ErrUnsupported)
}

// TestUnusableAccountsNeitherRetryNorTrip: a per-account problem is asked
// once and never opens the breaker for everyone else.
func TestUnusableAccountsNeitherRetryNorTrip(t *testing.T) {
	u := &unusable{}
	g := New("http", unusableSrc{u}, Options{Backoff: time.Millisecond, Retries: 3, TripAfter: 2},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	a, _ := g.Auth(context.Background())
	for range 5 {
		if _, err := a.Authenticate(context.Background(), "u", "p"); !errors.Is(err, sdk.ErrUnsupported) {
			t.Fatalf("got %v", err)
		}
	}
	if n := u.codes.Load(); n != 5 {
		t.Errorf("5 sign-ins made %d calls, want 5 (no retries)", n)
	}
	if g.State() != "closed" {
		t.Errorf("one account's bad record opened the breaker: %s", g.State())
	}
}

type unusableSrc struct{ u *unusable }

func (s unusableSrc) Auth(context.Context) (sdk.AuthProvider, error) { return s.u, nil }
