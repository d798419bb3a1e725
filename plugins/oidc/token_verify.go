package oidc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// ValidateToken verifies a JWT issued by the IdP — an ID token, or an
// access token where the IdP issues JWTs — and returns its user and
// ExpiresIn = seconds until it expires. Checked: the signature against the
// IdP's JWKS (a new key id triggers a refetch, so key rotation works);
// the algorithm (asymmetric only: never "none" or HMAC); "iss" = issuer;
// "exp" in the future; "aud" contains client_id. The audience rule means
// an access token the IdP minted for another API is refused: with Keycloak
// add an audience mapper for the client, with Entra ID present the ID
// token or an access token for ocrbox's own app registration.
//
// A bad, expired, foreign or unsigned token is sdk.ErrInvalidCredentials;
// an IdP that cannot be reached for its keys is sdk.ErrUnavailable.
func (p *Provider) ValidateToken(ctx context.Context, token string) (*sdk.AuthenticateResponse, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	if strings.Count(token, ".") != 2 {
		return nil, fmt.Errorf("validate token: %w: not a JWT", sdk.ErrInvalidCredentials)
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	d, err := c.discover(ctx)
	if err != nil {
		return nil, fmt.Errorf("validate token: %w", err)
	}
	idt, err := d.verify(ctx, token)
	if err != nil {
		return nil, fmt.Errorf("validate token: %w", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("validate token: %w: claims: %v", sdk.ErrInvalidCredentials, err)
	}
	user := c.userFromClaims(claims)
	if user.GetEmail() == "" && d.userinfoURL != "" {
		// An access token may carry only "sub"; it also opens userinfo.
		if info, err := c.fetchUserInfo(ctx, d, token); err == nil && info.GetSubject() == user.GetSubject() {
			user = mergeUser(user, info)
		}
	}
	if user.GetEmail() == "" {
		return nil, fmt.Errorf("validate token: %w: token carries no %q claim", sdk.ErrInvalidCredentials, c.s.emailClaim)
	}
	return &sdk.AuthenticateResponse{User: withNameFallback(user), ExpiresIn: secondsUntil(idt.Expiry)}, nil
}

// verify checks a JWT's signature, algorithm, issuer, audience and expiry.
// Errors wrap sdk.ErrInvalidCredentials, or sdk.ErrUnavailable when the
// signing keys could not be fetched.
func (d *discovery) verify(ctx context.Context, raw string) (*oidc.IDToken, error) {
	note := &fetchNote{}
	idt, err := d.verifier.Verify(context.WithValue(ctx, fetchNoteKey{}, note), raw)
	if err == nil {
		return idt, nil
	}
	if note.err != nil {
		return nil, fmt.Errorf("fetch signing keys: %w", unavailable(note.err))
	}
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		return nil, fmt.Errorf("%w: token expired at %s", sdk.ErrInvalidCredentials, expired.Expiry.UTC().Format(time.RFC3339))
	}
	return nil, fmt.Errorf("%w: %v", sdk.ErrInvalidCredentials, err)
}

// keySet wraps go-oidc's RemoteKeySet (JWKS cache, refetch on an unknown
// key id) to tell "the keys could not be fetched" from "the signature is
// wrong": IDTokenVerifier flattens the two into one error string.
type keySet struct {
	remote *oidc.RemoteKeySet
}

// fetchNoteKey carries a *fetchNote through Verify to VerifySignature.
type fetchNoteKey struct{}

// fetchNote records a failed JWKS fetch during one verification.
type fetchNote struct{ err error }

func newKeySet(remote *oidc.RemoteKeySet) *keySet { return &keySet{remote: remote} }

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if err != nil && isFetchError(err) {
		if n, ok := ctx.Value(fetchNoteKey{}).(*fetchNote); ok {
			n.err = err
		}
	}
	return payload, err
}

// isFetchError reports whether RemoteKeySet failed to fetch the JWKS (it
// wraps those as "fetching keys %w") rather than to match a signature.
func isFetchError(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) ||
		strings.HasPrefix(err.Error(), "fetching keys")
}

// secondsUntil is the seconds left until t, rounded up, at least 1; 0
// only for no expiry.
func secondsUntil(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	// 0 means "no expiry" to the host: a token about to expire says 1.
	return int64(math.Max(1, math.Ceil(time.Until(t).Seconds())))
}

var _ oidc.KeySet = (*keySet)(nil)
