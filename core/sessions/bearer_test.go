package sessions

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// orgTokens is an organisation API whose tokens are opaque strings.
type orgTokens struct {
	tokenIdP
	lookups atomic.Int32
}

func (o *orgTokens) ValidateToken(_ context.Context, tok string) (*sdk.AuthenticateResponse, error) {
	o.lookups.Add(1)
	if tok != "org-opaque-7f3a9" {
		return nil, fmt.Errorf("validate: %w", sdk.ErrInvalidCredentials)
	}
	return &sdk.AuthenticateResponse{User: &sdk.UserInfo{Subject: "u-7", Email: "olga@org.example", Name: "Olga"},
		AccessToken: tok, ExpiresIn: 600}, nil
}

// TestOpaqueProviderTokensAreChecked: a bearer that is not an ocrbox
// session goes to the providers whatever its shape (issue 12 item 8: only
// eyJ… tokens did), answers are cached, ocrbox-shaped tokens are never sent
// out, and a flood of made-up tokens is bounded.
func TestOpaqueProviderTokensAreChecked(t *testing.T) {
	ctx := context.Background()
	org := &orgTokens{}
	s, _, _ := setup(t, provider{name: "http", impl: org})
	u, err := s.Authenticate(ctx, "org-opaque-7f3a9")
	if err != nil || u.Email != "olga@org.example" {
		t.Fatalf("the organisation's opaque token: %+v, %v", u, err)
	}
	if _, err := s.Authenticate(ctx, "org-opaque-7f3a9"); err != nil || org.lookups.Load() != 1 {
		t.Fatalf("second use: %v; %d lookups, want 1 (cached)", err, org.lookups.Load())
	}
	if _, err := s.Authenticate(ctx, "org-opaque-forged"); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("an unknown opaque token: %v", err)
	}
	before := org.lookups.Load()
	if _, err := s.Authenticate(ctx, NewToken()); !errors.Is(err, domain.ErrUnauthenticated) || org.lookups.Load() != before {
		t.Fatalf("an expired ocrbox token: %v, and it was sent to the provider (%d lookups)", err, org.lookups.Load()-before)
	}
	before = org.lookups.Load()
	for i := range 500 {
		_, _ = s.Authenticate(ctx, fmt.Sprintf("made-up-%d", i))
	}
	if n := org.lookups.Load() - before; n > 2*tokenLookupsPerSecond+5 {
		t.Fatalf("500 made-up tokens caused %d provider lookups, want at most about %d", n, 2*tokenLookupsPerSecond)
	}
}
