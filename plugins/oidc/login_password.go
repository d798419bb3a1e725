package oidc

import (
	"context"
	"crypto/subtle"
	"fmt"

	"golang.org/x/oauth2"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Authenticate signs in with the resource-owner password grant, for API
// clients posting username and password to ocrbox. The IdP must allow the
// password grant for the client (Dex: oauth2.passwordConnector; Keycloak:
// "Direct access grants"; Entra ID: ROPC, no MFA, not for federated or
// personal accounts). A wrong username or password is
// sdk.ErrInvalidCredentials; an IdP that is down, slow or answering 5xx is
// sdk.ErrUnavailable; an IdP whose discovery document does not list the
// password grant, or a client not allowed it, is sdk.ErrNotImplemented
// (the password is then never sent).
func (p *Provider) Authenticate(ctx context.Context, username, password string) (*sdk.AuthenticateResponse, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	// Never send an empty password: some IdPs behind LDAP treat it as an
	// anonymous bind that succeeds.
	if username == "" || password == "" {
		return nil, fmt.Errorf("password grant: %w: empty username or password", sdk.ErrInvalidCredentials)
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	d, err := c.discover(ctx)
	if err != nil {
		return nil, fmt.Errorf("password grant: %w", err)
	}
	if !d.passwordGrant {
		// Never hand a password to an IdP that did not ask for it: the
		// host goes on to the next provider as if this one were absent.
		return nil, fmt.Errorf("password grant: %w: the identity provider's discovery document does not list the password grant; people sign in with the browser", sdk.ErrNotImplemented)
	}
	tok, err := d.oauth.PasswordCredentialsToken(ctx, username, password)
	if err != nil {
		return nil, tokenError("password grant", err)
	}
	resp, err := c.tokenResponse(ctx, d, tok, true, "")
	if err != nil {
		return nil, fmt.Errorf("password grant: %w", err)
	}
	return resp, nil
}

// tokenResponse turns a token endpoint answer into the response the host
// stores: it verifies the ID token (required unless a refresh answer
// omits it), checks nonce and at_hash when given, and reads the user from
// the ID token's claims, asking userinfo when they carry no email.
//
// A token straight from the token endpoint that fails verification points
// at a misconfiguration (client_id, issuer, clock) rather than at the
// user, so it is a plain error, except a nonce mismatch (a replayed or
// injected code) which is sdk.ErrInvalidCredentials.
func (c *client) tokenResponse(ctx context.Context, d *discovery, tok *oauth2.Token, needIDToken bool, nonce string) (*sdk.AuthenticateResponse, error) {
	raw, _ := tok.Extra("id_token").(string)
	user := &sdk.UserInfo{Extra: map[string]string{}}
	switch {
	case raw != "":
		idt, err := d.verify(ctx, raw)
		if err != nil {
			if isUnavailable(err) {
				return nil, fmt.Errorf("verify ID token: %w", err)
			}
			// Straight from the token endpoint over TLS, a token that does
			// not verify means we expect another issuer or audience.
			return nil, fmt.Errorf("%w: ID token from the token endpoint does not verify (check %s and %s): %s",
				sdk.ErrMisconfigured, SettingIssuer, SettingClientID, err)
		}
		if nonce != "" && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
			return nil, fmt.Errorf("verify ID token: %w: nonce does not match", sdk.ErrInvalidCredentials)
		}
		if idt.AccessTokenHash != "" {
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				return nil, fmt.Errorf("verify ID token: %w: at_hash does not match the access token", sdk.ErrInvalidCredentials)
			}
		}
		var claims map[string]any
		if err := idt.Claims(&claims); err != nil {
			return nil, fmt.Errorf("verify ID token: claims: %v", err)
		}
		// OIDC Core 3.1.3.7: an authorized party, when named, must be us.
		if azp, ok := claims["azp"].(string); ok && azp != c.s.clientID {
			return nil, fmt.Errorf("verify ID token: %w: issued to %q", sdk.ErrInvalidCredentials, azp)
		}
		user = c.userFromClaims(claims)
	case needIDToken:
		return nil, fmt.Errorf("%w: token endpoint returned no id_token (is %q among the scopes?)", sdk.ErrUnavailable, "openid")
	}
	if user.GetEmail() == "" || user.GetSubject() == "" {
		info, err := c.fetchUserInfo(ctx, d, tok.AccessToken)
		if err != nil {
			return nil, fmt.Errorf("user info: %w", err)
		}
		switch {
		case user.GetSubject() == "":
			user = info
		case info.GetSubject() != user.GetSubject():
			return nil, fmt.Errorf("user info: %w: subject differs from the ID token's", sdk.ErrInvalidCredentials)
		default:
			user = mergeUser(user, info)
		}
	}
	if user.GetEmail() == "" {
		return nil, fmt.Errorf("%w: neither the ID token nor userinfo has a %q claim (grant the \"email\" scope or set %s)",
			sdk.ErrUnsupported, c.s.emailClaim, SettingEmailClaim)
	}
	return &sdk.AuthenticateResponse{
		User:         withNameFallback(user),
		AccessToken:  tok.AccessToken,
		IdToken:      raw,
		RefreshToken: tok.RefreshToken,
		ExpiresIn:    secondsUntil(tok.Expiry),
	}, nil
}
