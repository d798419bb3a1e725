package oidc

import (
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/plugins/sdk/sdktest"
	"github.com/ocrbox/ocrbox/test/idp"
)

// TestOverGRPC runs the provider behind go-plugin's real gRPC server and
// the SDK's adapters against Dex: what the host sees, sentinels included.
func TestOverGRPC(t *testing.T) {
	d := dex(t)
	ap := sdktest.DispenseAuth(t, New())

	if err := ap.Configure(t.Context(), map[string]string{SettingClientID: "x"}); err == nil || !strings.Contains(err.Error(), SettingIssuer) {
		t.Fatalf("Configure without issuer over gRPC = %v", err)
	}
	if err := ap.Configure(t.Context(), dexSettings(d)); err != nil {
		t.Fatal(err)
	}
	info, err := ap.Info(t.Context())
	if err != nil || info.GetName() != Name || !info.GetValidatesJwt() || !info.GetSupportsBrowserLogin() || info.GetSupportsRevoke() {
		t.Fatalf("Info = %v, %v", info, err)
	}

	login, err := ap.Authenticate(t.Context(), adaEmail, adaPassword)
	if err != nil {
		t.Fatal(err)
	}
	if u := login.GetUser(); u.GetEmail() != adaEmail || u.GetName() != adaName {
		t.Fatalf("user = %v", u)
	}
	if _, err := ap.ValidateToken(t.Context(), login.GetIdToken()); err != nil {
		t.Fatalf("ValidateToken(valid) = %v", err)
	}
	if _, err := ap.RefreshToken(t.Context(), login.GetRefreshToken()); err != nil {
		t.Fatalf("RefreshToken(valid) = %v", err)
	}

	verifier := oauth2.GenerateVerifier()
	authURL, err := ap.BeginBrowserLogin(t.Context(), &sdk.BeginBrowserLoginRequest{
		RedirectUri: d.RedirectURI(), State: "grpc-state", CodeChallenge: oauth2.S256ChallengeFromVerifier(verifier), Nonce: "grpc-nonce",
	})
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := url.Parse(idp.DexBrowserLogin(t, authURL, adaEmail, adaPassword))
	browser, err := ap.CompleteBrowserLogin(t.Context(), &sdk.CompleteBrowserLoginRequest{
		Code: cb.Query().Get("code"), CodeVerifier: verifier, RedirectUri: d.RedirectURI(), Nonce: "grpc-nonce",
	})
	if err != nil || browser.GetUser().GetEmail() != adaEmail {
		t.Fatalf("CompleteBrowserLogin = %v, %v", browser, err)
	}

	parts := strings.Split(login.GetIdToken(), ".")
	tampered := parts[0] + "." + b64JSON(t, map[string]any{"sub": "x", "aud": d.ClientID, "iss": d.Issuer, "exp": 4e9}) + "." + parts[2]
	errorTable := []struct {
		name string
		call func() error
		want error
	}{
		{"wrong password", func() error { _, err := ap.Authenticate(t.Context(), adaEmail, "nope"); return err }, sdk.ErrInvalidCredentials},
		{"garbage refresh token", func() error { _, err := ap.RefreshToken(t.Context(), "garbage"); return err }, sdk.ErrInvalidCredentials},
		{"tampered JWT", func() error { _, err := ap.ValidateToken(t.Context(), tampered); return err }, sdk.ErrInvalidCredentials},
		{"alg none JWT", func() error {
			_, err := ap.ValidateToken(t.Context(), b64JSON(t, map[string]any{"alg": "none"})+"."+parts[1]+".")
			return err
		}, sdk.ErrInvalidCredentials},
		{"wrong PKCE verifier", func() error {
			_, err := ap.CompleteBrowserLogin(t.Context(), &sdk.CompleteBrowserLoginRequest{
				Code: "unknown", CodeVerifier: oauth2.GenerateVerifier(), RedirectUri: d.RedirectURI(), Nonce: "n"})
			return err
		}, sdk.ErrInvalidCredentials},
		{"bad access token", func() error { _, err := ap.GetUserInfo(t.Context(), "garbage"); return err }, sdk.ErrInvalidCredentials},
		{"lookup", func() error { _, err := ap.LookupUser(t.Context(), adaEmail); return err }, sdk.ErrNotImplemented},
		{"revoke at Dex", func() error { return ap.RevokeToken(t.Context(), login.GetRefreshToken(), "refresh_token") }, sdk.ErrNotImplemented},
	}
	for _, c := range errorTable {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if !errors.Is(err, c.want) {
				t.Fatalf("%s over gRPC = %v, want %v", c.name, err, c.want)
			}
			assertNoSecrets(t, err, adaPassword, d.ClientSecret, login.GetRefreshToken(), login.GetAccessToken())
		})
	}

	t.Run("issuer down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := "http://" + l.Addr().String() + "/dex"
		l.Close()
		if err := ap.Configure(t.Context(), map[string]string{SettingIssuer: down, SettingClientID: "ocrbox"}); err != nil {
			t.Fatalf("Configure with a down issuer over gRPC = %v", err)
		}
		if _, err := ap.Authenticate(t.Context(), adaEmail, adaPassword); !errors.Is(err, sdk.ErrUnavailable) {
			t.Fatalf("Authenticate = %v, want ErrUnavailable", err)
		}
		if _, err := ap.ValidateToken(t.Context(), login.GetIdToken()); !errors.Is(err, sdk.ErrUnavailable) {
			t.Fatalf("ValidateToken = %v, want ErrUnavailable", err)
		}
	})
}
