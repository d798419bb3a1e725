// Package httpauth is the built-in "http" auth provider: it signs users in
// through an organisation's existing auth API over HTTP(S) and JSON, with
// login, validate, refresh, userinfo and optional revoke and lookup
// endpoints. Paths, timeout, TLS and where the fields sit in the API's
// answers are settings (the [plugins.http] table of config.toml); see
// docs/auth-http.md for every key and the default request/answer shapes.
//
// Errors are classified once, here, because the host retries and opens its
// circuit breaker on them: a refusal of credentials or a token (400, 401,
// 403, 422) wraps sdk.ErrInvalidCredentials and is never retried; a 401
// that refuses ocrbox itself (invalid_client, or a Basic challenge to the
// credentials in external_auth_api_url) wraps sdk.ErrMisconfigured; anything
// that says the API is not working (5xx, 429, other statuses, refused or
// reset connections, timeouts, oversized, non-JSON or incomplete answers)
// wraps sdk.ErrUnavailable. No error or log line carries a password, a token
// or an answer body.
package httpauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Name is the provider's name in config and in ProviderInfo.
const Name = "http"

// Version is reported in ProviderInfo and the User-Agent header.
const Version = "1.0.0"

// Provider is the "http" sdk.AuthProvider. It keeps no state besides its
// configuration: every call is one or two requests to the auth API. Serve it
// with sdk.ServeAuth(httpauth.New()).
type Provider struct {
	sdk.UnimplementedAuth // browser login; endpoints left unconfigured
	api                   atomic.Pointer[client]
}

// New returns an unconfigured Provider; Configure must be called before any
// other method.
func New() *Provider { return &Provider{} }

// Configure reads the settings (see docs/auth-http.md). It replaces all of
// them: a key left out returns to its default. Unknown keys and bad values
// fail with an error naming the key.
func (p *Provider) Configure(_ context.Context, settings map[string]string) error {
	cfg, err := parseConfig(settings)
	if err != nil {
		return fmt.Errorf("configure %s auth: %w", Name, err)
	}
	if old := p.api.Swap(newClient(cfg)); old != nil {
		old.http.CloseIdleConnections()
	}
	return nil
}

// Info describes the provider. Refresh, validation and revocation are
// advertised when their endpoints are configured.
func (p *Provider) Info(context.Context) (*sdk.ProviderInfo, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	return &sdk.ProviderInfo{
		Name:             Name,
		Version:          Version,
		DisplayName:      c.cfg.displayName,
		SupportsPassword: true,
		SupportsRefresh:  c.cfg.refresh.enabled(),
		ValidatesJwt:     c.cfg.validate.enabled(),
		SupportsRevoke:   c.cfg.revoke.enabled(),
	}, nil
}

// Authenticate posts the username and password to the login endpoint. Wrong
// password and unknown user give the same error, wrapping
// sdk.ErrInvalidCredentials; the answer must carry an access token and an
// email, else the error wraps sdk.ErrUnavailable.
func (p *Provider) Authenticate(ctx context.Context, username, password string) (*sdk.AuthenticateResponse, error) {
	const op = "authenticate"
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	if username == "" || password == "" {
		return nil, fmt.Errorf("%s: %w", op, sdk.ErrInvalidCredentials)
	}
	doc, err := c.do(ctx, call{
		op: op, method: http.MethodPost, ep: c.cfg.login, refused: refusedToken,
		body: map[string]string{c.cfg.usernameField: username, c.cfg.passwordField: password},
	})
	if err != nil {
		return nil, err
	}
	resp, err := c.cfg.mapping.tokens(doc, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if resp.User, err = c.cfg.mapping.user(doc); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return resp, nil
}

// ValidateToken asks the validate endpoint whether token is live: GET with
// the token as a bearer, or POST {"token": …} (validate_field) when
// validate_method is POST.
// A refusal wraps sdk.ErrInvalidCredentials. When the answer carries no
// user, it comes from the userinfo endpoint.
func (p *Provider) ValidateToken(ctx context.Context, token string) (*sdk.AuthenticateResponse, error) {
	const op = "validate token"
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	if !c.cfg.validate.enabled() {
		return p.UnimplementedAuth.ValidateToken(ctx, token)
	}
	if token == "" {
		return nil, fmt.Errorf("%s: %w", op, sdk.ErrInvalidCredentials)
	}
	cl := call{op: op, method: c.cfg.validateMethod, ep: c.cfg.validate, refused: refusedToken, emptyOK: true}
	if cl.method == http.MethodPost {
		cl.body = map[string]string{c.cfg.validateField: token}
	} else {
		cl.bearer = token
	}
	doc, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	resp, err := c.cfg.mapping.tokens(doc, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	resp.AccessToken = token // the token validated, whatever else the answer holds
	if c.cfg.mapping.hasUser(doc) || !c.cfg.userinfo.enabled() {
		resp.User, err = c.cfg.mapping.user(doc)
	} else {
		resp.User, err = p.GetUserInfo(ctx, token)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return resp, nil
}

// RefreshToken posts {"refresh_token": …} (refresh_field) to the refresh endpoint. A refused
// refresh token wraps sdk.ErrInvalidCredentials (the session must end). When
// the answer carries no new refresh token the old one stays valid and is
// returned; User is set only when the answer carries an email.
func (p *Provider) RefreshToken(ctx context.Context, refreshToken string) (*sdk.AuthenticateResponse, error) {
	const op = "refresh token"
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	if !c.cfg.refresh.enabled() {
		return p.UnimplementedAuth.RefreshToken(ctx, refreshToken)
	}
	if refreshToken == "" {
		return nil, fmt.Errorf("%s: %w", op, sdk.ErrInvalidCredentials)
	}
	doc, err := c.do(ctx, call{
		op: op, method: http.MethodPost, ep: c.cfg.refresh, refused: refusedToken,
		body: map[string]string{c.cfg.refreshField: refreshToken},
	})
	if err != nil {
		return nil, err
	}
	resp, err := c.cfg.mapping.tokens(doc, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if resp.RefreshToken == "" {
		resp.RefreshToken = refreshToken
	}
	if c.cfg.mapping.hasUser(doc) {
		if resp.User, err = c.cfg.mapping.user(doc); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	return resp, nil
}

// GetUserInfo reads the user from the userinfo endpoint with accessToken as
// a bearer. A refused token wraps sdk.ErrInvalidCredentials.
func (p *Provider) GetUserInfo(ctx context.Context, accessToken string) (*sdk.UserInfo, error) {
	const op = "user info"
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	if !c.cfg.userinfo.enabled() {
		return p.UnimplementedAuth.GetUserInfo(ctx, accessToken)
	}
	if accessToken == "" {
		return nil, fmt.Errorf("%s: %w", op, sdk.ErrInvalidCredentials)
	}
	doc, err := c.do(ctx, call{op: op, method: http.MethodGet, ep: c.cfg.userinfo, bearer: accessToken, refused: refusedToken})
	if err != nil {
		return nil, err
	}
	u, err := c.cfg.userinfoMapping.user(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return u, nil
}

// LookupUser asks lookup_endpoint whether the account still exists: GET
// with ?email=subject. 404 or 410 wraps sdk.ErrUserNotFound and the host
// ends the user's sessions; any 2xx means the account exists. Without
// lookup_endpoint it answers sdk.ErrNotImplemented.
func (p *Provider) LookupUser(ctx context.Context, subject string) (*sdk.UserInfo, error) {
	const op = "look up user"
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	if !c.cfg.lookup.enabled() {
		return p.UnimplementedAuth.LookupUser(ctx, subject)
	}
	if subject == "" {
		return nil, fmt.Errorf("%s: %w", op, sdk.ErrUserNotFound)
	}
	doc, err := c.do(ctx, call{
		op: op, method: http.MethodGet, ep: c.cfg.lookup, refused: refusedLookup, emptyOK: true,
		query: url.Values{"email": {subject}},
	})
	if err != nil {
		return nil, err
	}
	if !c.cfg.mapping.hasUser(doc) {
		// The account exists; the answer just does not describe it.
		return &sdk.UserInfo{Subject: subject, Email: subject}, nil
	}
	u, err := c.cfg.mapping.user(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return u, nil
}

// RevokeToken posts {"token": …, "token_type_hint": …} (revoke_field) to revoke_endpoint;
// the answer's body is ignored. A refusal wraps sdk.ErrInvalidCredentials.
// Without revoke_endpoint it answers sdk.ErrNotImplemented.
func (p *Provider) RevokeToken(ctx context.Context, token, tokenTypeHint string) error {
	const op = "revoke token"
	c, err := p.client()
	if err != nil {
		return err
	}
	if !c.cfg.revoke.enabled() {
		return p.UnimplementedAuth.RevokeToken(ctx, token, tokenTypeHint)
	}
	if token == "" {
		return fmt.Errorf("%s: %w", op, sdk.ErrInvalidCredentials)
	}
	body := map[string]string{c.cfg.revokeField: token}
	if tokenTypeHint != "" {
		body["token_type_hint"] = tokenTypeHint
	}
	_, err = c.do(ctx, call{op: op, method: http.MethodPost, ep: c.cfg.revoke, body: body, refused: refusedToken, emptyOK: true})
	return err
}

func (p *Provider) client() (*client, error) {
	c := p.api.Load()
	if c == nil {
		return nil, errNotConfigured
	}
	return c, nil
}

var errNotConfigured = errors.New(Name + " auth: not configured")

var _ sdk.AuthProvider = (*Provider)(nil)
