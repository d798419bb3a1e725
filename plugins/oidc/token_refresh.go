package oidc

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// RefreshToken runs the refresh grant. The answer carries new access and
// ID tokens and, when the IdP rotates refresh tokens (Dex does), a new
// refresh token that replaces the old one; otherwise the old refresh token
// is returned. A refresh token that is unknown, expired, revoked or
// already used is sdk.ErrInvalidCredentials: the session must end.
func (p *Provider) RefreshToken(ctx context.Context, refreshToken string) (*sdk.AuthenticateResponse, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	if refreshToken == "" {
		return nil, fmt.Errorf("refresh token: %w: empty refresh token", sdk.ErrInvalidCredentials)
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	d, err := c.discover(ctx)
	if err != nil {
		return nil, fmt.Errorf("refresh token: %w", err)
	}
	tok, err := d.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		// Dex answers invalid_request to an unknown refresh token.
		return nil, tokenError("refresh token", err, "invalid_request")
	}
	resp, err := c.tokenResponse(ctx, d, tok, false, "")
	if err != nil {
		return nil, fmt.Errorf("refresh token: %w", err)
	}
	return resp, nil
}

// RevokeToken revokes token (RFC 7009) at the discovery document's
// revocation_endpoint; without one it is sdk.ErrNotImplemented, and the
// token simply runs out. tokenTypeHint is "refresh_token" or
// "access_token" (or empty).
func (p *Provider) RevokeToken(ctx context.Context, token, tokenTypeHint string) error {
	c, err := p.client()
	if err != nil {
		return err
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	d, err := c.discover(ctx)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if d.revocationURL == "" {
		return fmt.Errorf("revoke token: %w: the IdP has no revocation endpoint", sdk.ErrNotImplemented)
	}
	if token == "" {
		return nil // nothing to revoke
	}
	form := url.Values{"token": {token}}
	if tokenTypeHint != "" {
		form.Set("token_type_hint", tokenTypeHint)
	}
	if d.oauth.Endpoint.AuthStyle == oauth2.AuthStyleInParams {
		form.Set("client_id", c.s.clientID)
		if c.s.clientSecret != "" {
			form.Set("client_secret", c.s.clientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.revocationURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if d.oauth.Endpoint.AuthStyle == oauth2.AuthStyleInHeader {
		req.SetBasicAuth(url.QueryEscape(c.s.clientID), url.QueryEscape(c.s.clientSecret))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("revoke token: %w", unavailable(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil // RFC 7009: also the answer for an already invalid token
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("revoke token: %w: revocation endpoint answered %d", sdk.ErrUnavailable, resp.StatusCode)
	}
	return fmt.Errorf("revoke token: revocation endpoint answered %d", resp.StatusCode)
}
