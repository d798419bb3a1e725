package oidc

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/test/idp"
)

func TestPasswordGrant(t *testing.T) {
	d := dex(t)
	p := newProvider(t, dexSettings(d))

	t.Run("success maps email and name", func(t *testing.T) {
		t.Parallel()
		resp, err := p.Authenticate(t.Context(), adaEmail, adaPassword)
		if err != nil {
			t.Fatal(err)
		}
		u := resp.GetUser()
		if u.GetEmail() != adaEmail || u.GetName() != adaName || u.GetSubject() == "" {
			t.Fatalf("user = %v", u)
		}
		if u.GetExtra()[ExtraIssuer] != d.Issuer || u.GetExtra()[ExtraEmailVerified] != "true" {
			t.Errorf("extra = %v", u.GetExtra())
		}
		if resp.GetAccessToken() == "" || resp.GetIdToken() == "" || resp.GetRefreshToken() == "" {
			t.Fatalf("missing tokens: access %t id %t refresh %t",
				resp.GetAccessToken() != "", resp.GetIdToken() != "", resp.GetRefreshToken() != "")
		}
		if e := resp.GetExpiresIn(); e < 3500 || e > 3600 {
			t.Errorf("expires_in = %d, want about an hour", e)
		}
	})
	t.Run("email is matched case-insensitively and name falls back to the username", func(t *testing.T) {
		t.Parallel()
		resp, err := p.Authenticate(t.Context(), "Bob@Example.org", bobPassword)
		if err != nil {
			t.Fatal(err)
		}
		if u := resp.GetUser(); u.GetEmail() != bobEmail || u.GetName() != "bob" {
			t.Fatalf("user = %v", u)
		}
	})
	for _, c := range []struct{ name, user, password string }{
		{"wrong password", adaEmail, "wrong password"},
		{"unknown user", "eve@example.org", adaPassword},
		{"other user's password", bobEmail, adaPassword},
		{"empty password", adaEmail, ""},
		{"empty username", "", adaPassword},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			resp, err := p.Authenticate(t.Context(), c.user, c.password)
			if !errors.Is(err, sdk.ErrInvalidCredentials) {
				t.Fatalf("Authenticate = %v, %v; want ErrInvalidCredentials", resp, err)
			}
			assertNoSecrets(t, err, c.password, d.ClientSecret)
		})
	}
	t.Run("wrong client secret is not a wrong password", func(t *testing.T) {
		t.Parallel()
		bad := newProvider(t, dexSettings(d, SettingClientSecret, "not-the-secret"))
		_, err := bad.Authenticate(t.Context(), adaEmail, adaPassword)
		if err == nil || errors.Is(err, sdk.ErrInvalidCredentials) || !strings.Contains(err.Error(), SettingClientSecret) {
			t.Fatalf("Authenticate with a wrong client secret = %v; want a configuration error", err)
		}
		assertNoSecrets(t, err, "not-the-secret", adaPassword)
	})
}

// browserLogin runs BeginBrowserLogin and Dex's login form and returns the
// callback's code.
func browserLogin(t *testing.T, p *Provider, d *idp.Dex, state, challenge, nonce string) string {
	t.Helper()
	authURL, err := p.BeginBrowserLogin(t.Context(), &sdk.BeginBrowserLoginRequest{
		RedirectUri: d.RedirectURI(), State: state, CodeChallenge: challenge, Nonce: nonce,
	})
	if err != nil {
		t.Fatal(err)
	}
	cb, err := url.Parse(idp.DexBrowserLogin(t, authURL, adaEmail, adaPassword))
	if err != nil {
		t.Fatal(err)
	}
	if got := cb.Query().Get("state"); got != state {
		t.Fatalf("callback state = %q, want %q", got, state)
	}
	code := cb.Query().Get("code")
	if code == "" {
		t.Fatalf("callback without code: %s", cb)
	}
	return code
}

func TestBrowserLogin(t *testing.T) {
	d := dex(t)
	p := newProvider(t, dexSettings(d))

	t.Run("auth URL", func(t *testing.T) {
		t.Parallel()
		verifier := oauth2.GenerateVerifier()
		authURL, err := p.BeginBrowserLogin(t.Context(), &sdk.BeginBrowserLoginRequest{
			RedirectUri: d.RedirectURI(), State: "st", CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier), Nonce: "n",
		})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(authURL)
		q := u.Query()
		if !strings.HasPrefix(authURL, d.Issuer+"/auth?") || q.Get("client_id") != d.ClientID || q.Get("response_type") != "code" ||
			q.Get("redirect_uri") != d.RedirectURI() || q.Get("state") != "st" || q.Get("nonce") != "n" ||
			q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") != oauth2.S256ChallengeFromVerifier(verifier) ||
			q.Get("scope") != defaultScopes {
			t.Fatalf("auth URL = %s", authURL)
		}
		if strings.Contains(authURL, d.ClientSecret) {
			t.Fatal("auth URL carries the client secret")
		}
	})

	t.Run("code flow with PKCE", func(t *testing.T) {
		t.Parallel()
		verifier := oauth2.GenerateVerifier()
		code := browserLogin(t, p, d, "state-1", oauth2.S256ChallengeFromVerifier(verifier), "nonce-1")
		req := &sdk.CompleteBrowserLoginRequest{Code: code, CodeVerifier: verifier, RedirectUri: d.RedirectURI(), Nonce: "nonce-1"}
		resp, err := p.CompleteBrowserLogin(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if u := resp.GetUser(); u.GetEmail() != adaEmail || u.GetName() != adaName {
			t.Fatalf("user = %v", u)
		}
		if resp.GetIdToken() == "" || resp.GetAccessToken() == "" || resp.GetRefreshToken() == "" || resp.GetExpiresIn() <= 0 {
			t.Fatalf("tokens missing: %v", resp.GetExpiresIn())
		}
		if n := jwtClaims(t, resp.GetIdToken())["nonce"]; n != "nonce-1" {
			t.Fatalf("ID token nonce = %v", n)
		}
		// A code works once.
		if _, err := p.CompleteBrowserLogin(t.Context(), req); !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("reused code: %v, want ErrInvalidCredentials", err)
		}
	})

	t.Run("wrong verifier", func(t *testing.T) {
		t.Parallel()
		verifier := oauth2.GenerateVerifier()
		code := browserLogin(t, p, d, "state-2", oauth2.S256ChallengeFromVerifier(verifier), "nonce-2")
		_, err := p.CompleteBrowserLogin(t.Context(), &sdk.CompleteBrowserLoginRequest{
			Code: code, CodeVerifier: oauth2.GenerateVerifier(), RedirectUri: d.RedirectURI(), Nonce: "nonce-2",
		})
		if !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("wrong verifier: %v, want ErrInvalidCredentials", err)
		}
	})

	t.Run("wrong nonce", func(t *testing.T) {
		t.Parallel()
		verifier := oauth2.GenerateVerifier()
		code := browserLogin(t, p, d, "state-3", oauth2.S256ChallengeFromVerifier(verifier), "nonce-3")
		_, err := p.CompleteBrowserLogin(t.Context(), &sdk.CompleteBrowserLoginRequest{
			Code: code, CodeVerifier: verifier, RedirectUri: d.RedirectURI(), Nonce: "another-nonce",
		})
		if !errors.Is(err, sdk.ErrInvalidCredentials) || !strings.Contains(err.Error(), "nonce") {
			t.Fatalf("wrong nonce: %v, want ErrInvalidCredentials", err)
		}
	})

	t.Run("garbage code", func(t *testing.T) {
		t.Parallel()
		_, err := p.CompleteBrowserLogin(t.Context(), &sdk.CompleteBrowserLoginRequest{
			Code: "no-such-code", CodeVerifier: oauth2.GenerateVerifier(), RedirectUri: d.RedirectURI(), Nonce: "n",
		})
		if !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("garbage code: %v, want ErrInvalidCredentials", err)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		t.Parallel()
		challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
		for _, req := range []*sdk.BeginBrowserLoginRequest{
			{RedirectUri: "", State: "s", CodeChallenge: challenge, Nonce: "n"},
			{RedirectUri: "/relative", State: "s", CodeChallenge: challenge, Nonce: "n"},
			{RedirectUri: d.RedirectURI(), State: "", CodeChallenge: challenge, Nonce: "n"},
			{RedirectUri: d.RedirectURI(), State: "s", CodeChallenge: "", Nonce: "n"},
			{RedirectUri: d.RedirectURI(), State: "s", CodeChallenge: "plain-verifier-not-a-challenge", Nonce: "n"},
			{RedirectUri: d.RedirectURI(), State: "s", CodeChallenge: challenge, Nonce: ""},
		} {
			if u, err := p.BeginBrowserLogin(t.Context(), req); err == nil {
				t.Errorf("BeginBrowserLogin(%v) = %s, want an error", req, u)
			}
		}
		for _, req := range []*sdk.CompleteBrowserLoginRequest{
			{Code: "c", CodeVerifier: "short", RedirectUri: d.RedirectURI(), Nonce: "n"},
			{Code: "c", CodeVerifier: oauth2.GenerateVerifier(), RedirectUri: d.RedirectURI(), Nonce: ""},
			{Code: "c", CodeVerifier: oauth2.GenerateVerifier(), RedirectUri: "nope", Nonce: "n"},
		} {
			if _, err := p.CompleteBrowserLogin(t.Context(), req); err == nil {
				t.Errorf("CompleteBrowserLogin(%v) succeeded", req)
			}
		}
	})
}
