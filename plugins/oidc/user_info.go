package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Keys of UserInfo.Extra set by this provider.
const (
	ExtraIssuer            = "issuer"
	ExtraEmailVerified     = "email_verified"
	ExtraPreferredUsername = "preferred_username"
	ExtraGroups            = "groups"
)

// maxUserInfoBytes bounds a userinfo answer.
const maxUserInfoBytes = 1 << 20

// GetUserInfo asks the IdP's userinfo endpoint who accessToken belongs to.
// A rejected token is sdk.ErrInvalidCredentials; an IdP without a userinfo
// endpoint answers sdk.ErrNotImplemented.
func (p *Provider) GetUserInfo(ctx context.Context, accessToken string) (*sdk.UserInfo, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	if accessToken == "" {
		return nil, fmt.Errorf("user info: %w: empty access token", sdk.ErrInvalidCredentials)
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	d, err := c.discover(ctx)
	if err != nil {
		return nil, fmt.Errorf("user info: %w", err)
	}
	u, err := c.fetchUserInfo(ctx, d, accessToken)
	if err != nil {
		return nil, fmt.Errorf("user info: %w", err)
	}
	return withNameFallback(u), nil
}

// fetchUserInfo calls the userinfo endpoint with accessToken as bearer.
func (c *client) fetchUserInfo(ctx context.Context, d *discovery, accessToken string) (*sdk.UserInfo, error) {
	if d.userinfoURL == "" {
		return nil, fmt.Errorf("%w: the IdP has no userinfo endpoint", sdk.ErrNotImplemented)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.userinfoURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, unavailable(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserInfoBytes))
	if err != nil {
		return nil, unavailable(err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("%w: userinfo endpoint answered %d", sdk.ErrInvalidCredentials, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: userinfo endpoint answered %d", sdk.ErrUnavailable, resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/jwt" {
		// A signed userinfo answer: check it came from the IdP.
		payload, err := d.keys.VerifySignature(ctx, strings.TrimSpace(string(body)))
		if err != nil {
			return nil, fmt.Errorf("%w: signed userinfo answer does not verify", sdk.ErrUnavailable)
		}
		body = payload
	}
	var claims map[string]any
	if err := json.Unmarshal(body, &claims); err != nil {
		return nil, fmt.Errorf("%w: userinfo answer is not JSON", sdk.ErrUnavailable)
	}
	u := c.userFromClaims(claims)
	if u.GetSubject() == "" {
		return nil, fmt.Errorf("%w: userinfo answer has no \"sub\"", sdk.ErrUnavailable)
	}
	return u, nil
}

// userFromClaims maps ID token or userinfo claims to a user: Subject is
// "sub" (stable at the IdP), Email the configured email claim, lowercased
// (ocrbox's user id), Name the configured name claim (see
// withNameFallback).
func (c *client) userFromClaims(claims map[string]any) *sdk.UserInfo {
	str := func(k string) string {
		s, _ := claims[k].(string)
		return strings.TrimSpace(s)
	}
	u := &sdk.UserInfo{
		Subject: str("sub"),
		Email:   strings.ToLower(str(c.s.emailClaim)),
		Name:    str(c.s.nameClaim),
		Extra:   map[string]string{},
	}
	if iss := str("iss"); iss != "" {
		u.Extra[ExtraIssuer] = iss
	}
	switch v := claims["email_verified"].(type) {
	case bool:
		u.Extra[ExtraEmailVerified] = strconv.FormatBool(v)
	case string: // some IdPs send "true"
		if b, err := strconv.ParseBool(v); err == nil {
			u.Extra[ExtraEmailVerified] = strconv.FormatBool(b)
		}
	}
	if pu := str("preferred_username"); pu != "" {
		u.Extra[ExtraPreferredUsername] = pu
	}
	if gs, ok := claims["groups"].([]any); ok {
		var names []string
		for _, g := range gs {
			if s, ok := g.(string); ok {
				names = append(names, s)
			}
		}
		if len(names) > 0 {
			u.Extra[ExtraGroups] = strings.Join(names, ",")
		}
	}
	return u
}

// withNameFallback gives a user without a name claim their
// preferred_username, else their email, as display name.
func withNameFallback(u *sdk.UserInfo) *sdk.UserInfo {
	if u.Name == "" {
		u.Name = u.Extra[ExtraPreferredUsername]
	}
	if u.Name == "" {
		u.Name = u.Email
	}
	return u
}

// mergeUser fills what base lacks from more (same subject, checked by the
// caller: OIDC Core §5.3.2).
func mergeUser(base, more *sdk.UserInfo) *sdk.UserInfo {
	if base.Email == "" {
		base.Email = more.Email
	}
	if base.Name == "" {
		base.Name = more.Name
	}
	for k, v := range more.Extra {
		if _, ok := base.Extra[k]; !ok {
			base.Extra[k] = v
		}
	}
	return base
}
