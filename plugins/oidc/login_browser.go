package oidc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"time"

	"golang.org/x/oauth2"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// pkceChallenge is an S256 challenge: base64url without padding of a
// SHA-256, 43 characters. pkceVerifier is RFC 7636's code_verifier.
var (
	pkceChallenge = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	pkceVerifier  = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)
)

// BeginBrowserLogin returns the IdP's authorization URL for an
// authorization-code login. The host generates and keeps (server-side or
// in a short-lived HttpOnly cookie bound to the browser) a random state, a
// PKCE verifier and a nonce; it passes the state, the verifier's S256
// challenge and the nonce here, and checks the state on the callback
// itself before calling CompleteBrowserLogin. All four fields are
// required.
func (p *Provider) BeginBrowserLogin(ctx context.Context, req *sdk.BeginBrowserLoginRequest) (string, error) {
	c, err := p.client()
	if err != nil {
		return "", err
	}
	if err := checkRedirectURI(req.GetRedirectUri()); err != nil {
		return "", fmt.Errorf("browser login: %w", err)
	}
	switch {
	case req.GetState() == "":
		return "", fmt.Errorf("browser login: state is required")
	case req.GetNonce() == "":
		return "", fmt.Errorf("browser login: nonce is required")
	case !pkceChallenge.MatchString(req.GetCodeChallenge()):
		return "", fmt.Errorf("browser login: code_challenge must be an S256 challenge (43 base64url characters)")
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	d, err := c.discover(ctx)
	if err != nil {
		return "", fmt.Errorf("browser login: %w", err)
	}
	conf := d.oauth
	conf.RedirectURL = req.GetRedirectUri()
	opts := []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("code_challenge", req.GetCodeChallenge()),
		oauth2.SetAuthURLParam("code_challenge_method", "S256"),
		oauth2.SetAuthURLParam("nonce", req.GetNonce()),
	}
	if c.s.prompt != "" {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", c.s.prompt))
	}
	return conf.AuthCodeURL(req.GetState(), opts...), nil
}

// CompleteBrowserLogin exchanges the callback's code for tokens, sending
// the PKCE verifier and the same redirect_uri, then verifies the ID token
// including its nonce. A used, expired or foreign code, a wrong verifier
// or a nonce mismatch is sdk.ErrInvalidCredentials.
func (p *Provider) CompleteBrowserLogin(ctx context.Context, req *sdk.CompleteBrowserLoginRequest) (*sdk.AuthenticateResponse, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	if err := checkRedirectURI(req.GetRedirectUri()); err != nil {
		return nil, fmt.Errorf("browser login: %w", err)
	}
	switch {
	case req.GetCode() == "":
		return nil, fmt.Errorf("browser login: %w: no code", sdk.ErrInvalidCredentials)
	case req.GetNonce() == "":
		return nil, fmt.Errorf("browser login: nonce is required")
	case !pkceVerifier.MatchString(req.GetCodeVerifier()):
		return nil, fmt.Errorf("browser login: code_verifier must be 43 to 128 unreserved characters")
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	d, err := c.discover(ctx)
	if err != nil {
		return nil, fmt.Errorf("browser login: %w", err)
	}
	// RFC 9207: the response must come from the issuer this login went to
	// (an attacker's IdP cannot slip its code into our callback).
	switch iss := req.GetIss(); {
	case iss != "" && iss != c.s.issuer:
		return nil, fmt.Errorf("browser login: %w: the authorization response names issuer %q, not %q", sdk.ErrInvalidCredentials, clip(iss, 200), c.s.issuer)
	case iss == "" && d.issParameter:
		return nil, fmt.Errorf("browser login: %w: the issuer promises an iss parameter (RFC 9207) and the response has none", sdk.ErrInvalidCredentials)
	}
	conf := d.oauth
	conf.RedirectURL = req.GetRedirectUri()
	// A code is good for one exchange: retried only when the request never
	// left (the connection was refused), never after any answer.
	var tok *oauth2.Token
	for attempt := 1; ; attempt++ {
		tok, err = conf.Exchange(ctx, req.GetCode(), oauth2.VerifierOption(req.GetCodeVerifier()))
		if err == nil || !undelivered(err) || attempt == 3 || ctx.Err() != nil {
			break
		}
		select {
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	if err != nil {
		return nil, tokenError("browser login: exchange code", err)
	}
	resp, err := c.tokenResponse(ctx, d, tok, true, req.GetNonce())
	if err != nil {
		return nil, fmt.Errorf("browser login: %w", err)
	}
	return resp, nil
}

// clip shortens a value taken from a request for a message.
func clip(s string, n int) string {
	if len(s) > n {
		return truncate(s, n)
	}
	return s
}

// undelivered reports a request that never reached the server: the
// connection could not be made.
func undelivered(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// checkRedirectURI accepts an absolute http(s) URL; the IdP compares it
// with the client's registered redirect URIs.
func checkRedirectURI(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
		return fmt.Errorf("redirect_uri %q is not an absolute http(s) URL", s)
	}
	return nil
}
