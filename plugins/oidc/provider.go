// Package oidc is the built-in "oidc" sdk.AuthProvider: sign-in through an
// OpenID Connect identity provider (Dex, Keycloak, Entra ID, Okta, …).
//
//   - Authenticate runs the resource-owner password grant, for API clients
//     that post a username and password to /api/v1/auth/login.
//   - BeginBrowserLogin / CompleteBrowserLogin run the authorization-code
//     flow with PKCE (S256) and a nonce, for the browser. The host owns
//     state, the PKCE verifier and the nonce; this package only builds the
//     URL and checks what comes back.
//   - RefreshToken runs the refresh grant; RevokeToken uses the IdP's
//     revocation endpoint when its discovery document has one.
//   - ValidateToken verifies a JWT issued by the IdP (signature against
//     the JWKS, with key rotation; issuer; expiry; audience = client_id), so
//     an API client may present an IdP token as its bearer.
//   - GetUserInfo asks the userinfo endpoint. LookupUser is not supported:
//     OIDC has no way to look an account up without the user.
//
// Discovery happens on first use and is cached, so the plugin configures
// and starts while the IdP is down; calls then fail with sdk.ErrUnavailable
// until it is back. Tokens, passwords and the client secret are never
// logged nor put in error messages.
//
// Serve it with sdk.ServeAuth(oidc.New()).
package oidc

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Name is the provider's name in config and in ProviderInfo.
const Name = "oidc"

// Version is reported in ProviderInfo.
const Version = "1.0.0"

// Provider is the "oidc" sdk.AuthProvider. Configure must be called before
// any other method but Info.
type Provider struct {
	sdk.UnimplementedAuth // LookupUser: an IdP cannot be asked about a user without their token

	c atomic.Pointer[client]
}

// New returns an unconfigured Provider.
func New() *Provider { return &Provider{} }

// Configure validates the settings (see Setting*) and replaces the client.
// It does not contact the IdP: discovery happens lazily on the first call
// that needs it, so a down IdP does not stop the plugin from starting.
func (p *Provider) Configure(_ context.Context, settings map[string]string) error {
	s, err := parseSettings(settings)
	if err != nil {
		return fmt.Errorf("configure %s auth: %w", Name, err)
	}
	p.c.Store(newClient(s))
	return nil
}

// infoDiscoveryBudget bounds the discovery attempt Info makes before the
// first discovery succeeded.
const infoDiscoveryBudget = time.Second

// Info describes the provider. SupportsRevoke reflects the discovery
// document; while the IdP cannot be reached it is false (Info waits at
// most a second for it), so callers should call RevokeToken regardless and
// ignore sdk.ErrNotImplemented.
func (p *Provider) Info(ctx context.Context) (*sdk.ProviderInfo, error) {
	info := &sdk.ProviderInfo{
		Name:                 Name,
		Version:              Version,
		ProtocolVersion:      sdk.ProtocolVersion,
		SupportsPassword:     true,
		SupportsRefresh:      true,
		SupportsBrowserLogin: true,
		ValidatesJwt:         true,
		DisplayName:          defaultDisplayName,
	}
	c := p.c.Load()
	if c == nil {
		return info, nil
	}
	info.DisplayName = c.s.displayName
	// The sign-in page asks Info; a silent IdP must not stall it.
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	ctx, cancelInfo := context.WithTimeout(ctx, infoDiscoveryBudget)
	defer cancelInfo()
	if d, err := c.discover(ctx); err == nil {
		info.SupportsRevoke = d.revocationURL != ""
		if c.s.endSession {
			info.EndSessionEndpoint = d.endSession
		}
	}
	return info, nil
}

// client returns the configured client or an error for calls before
// Configure.
func (p *Provider) client() (*client, error) {
	c := p.c.Load()
	if c == nil {
		return nil, errNotConfigured
	}
	return c, nil
}

var errNotConfigured = errors.New(Name + " auth: not configured")

var _ sdk.AuthProvider = (*Provider)(nil)
