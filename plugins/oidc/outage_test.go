package oidc

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/test/idp"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// everyCall runs each provider method that needs the IdP and returns
// their errors by name.
func everyCall(t *testing.T, p *Provider, redirectURI string) map[string]error {
	t.Helper()
	ctx := t.Context()
	out := map[string]error{}
	_, out["Authenticate"] = p.Authenticate(ctx, adaEmail, adaPassword)
	_, out["BeginBrowserLogin"] = p.BeginBrowserLogin(ctx, &sdk.BeginBrowserLoginRequest{
		RedirectUri: redirectURI, State: "s", Nonce: "n", CodeChallenge: oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()),
	})
	_, out["CompleteBrowserLogin"] = p.CompleteBrowserLogin(ctx, &sdk.CompleteBrowserLoginRequest{
		Code: "c", CodeVerifier: oauth2.GenerateVerifier(), RedirectUri: redirectURI, Nonce: "n",
	})
	_, out["RefreshToken"] = p.RefreshToken(ctx, "refresh")
	_, out["ValidateToken"] = p.ValidateToken(ctx, "a.b.c")
	_, out["GetUserInfo"] = p.GetUserInfo(ctx, "access")
	out["RevokeToken"] = p.RevokeToken(ctx, "tok", "")
	return out
}

func TestIssuerDown(t *testing.T) {
	t.Run("nothing listens", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		issuer := "http://" + l.Addr().String() + "/dex"
		l.Close()
		// Configure succeeds: the plugin starts while the IdP is down.
		p := newProvider(t, map[string]string{SettingIssuer: issuer, SettingClientID: "ocrbox", SettingTimeout: "5s"})
		info, err := p.Info(t.Context())
		if err != nil || info.GetSupportsRevoke() {
			t.Fatalf("Info while down = %v, %v", info, err)
		}
		start := time.Now()
		for name, err := range everyCall(t, p, idp.DefaultRedirectURI) {
			if !errors.Is(err, sdk.ErrUnavailable) {
				t.Errorf("%s = %v, want ErrUnavailable", name, err)
			}
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("7 calls against a refused port took %v; refusal must fail fast", el)
		}
	})

	t.Run("IdP hangs", func(t *testing.T) {
		t.Parallel()
		addr := testenv.HungListener(t)
		p := newProvider(t, map[string]string{SettingIssuer: "http://" + addr, SettingClientID: "ocrbox", SettingTimeout: "300ms"})
		start := time.Now()
		if info, err := newProvider(t, map[string]string{SettingIssuer: "http://" + addr, SettingClientID: "ocrbox"}).Info(t.Context()); err != nil ||
			info.GetSupportsRevoke() || time.Since(start) > 1500*time.Millisecond {
			t.Fatalf("Info against a silent IdP = %v, %v after %v; want an answer within about a second", info, err, time.Since(start))
		}
		start = time.Now()
		_, err := p.Authenticate(t.Context(), adaEmail, adaPassword)
		el := time.Since(start)
		if !errors.Is(err, sdk.ErrUnavailable) {
			t.Fatalf("Authenticate = %v, want ErrUnavailable", err)
		}
		if el < 250*time.Millisecond || el > 2*time.Second {
			t.Fatalf("Authenticate against a silent IdP took %v, want about the 300ms timeout", el)
		}
	})

	t.Run("IdP answers errors or garbage", func(t *testing.T) {
		t.Parallel()
		var mode atomic.Value
		var issuer string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m := mode.Load().(string)
			if r.URL.Path == "/.well-known/openid-configuration" {
				if m == "discovery 500" {
					http.Error(w, "boom", http.StatusInternalServerError)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]any{
					"issuer": issuer, "authorization_endpoint": issuer + "/auth", "token_endpoint": issuer + "/token",
					"jwks_uri": issuer + "/keys", "userinfo_endpoint": issuer + "/userinfo",
					"grant_types_supported": []string{"authorization_code", "refresh_token", "password"},
				})
				return
			}
			switch m {
			case "token 503":
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			case "token garbage":
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte("{not json"))
			case "token invalid_grant":
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"Invalid user credentials"}`))
			case "token unsupported_grant_type":
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"unsupported_grant_type"}`))
			}
		}))
		defer srv.Close()
		issuer = srv.URL
		for _, c := range []struct {
			mode string
			want error
		}{
			{"discovery 500", sdk.ErrUnavailable},
			{"token 503", sdk.ErrUnavailable},
			{"token garbage", sdk.ErrUnavailable},
			{"token invalid_grant", sdk.ErrInvalidCredentials},
			{"token unsupported_grant_type", sdk.ErrNotImplemented},
		} {
			mode.Store(c.mode)
			p := newProvider(t, map[string]string{SettingIssuer: issuer, SettingClientID: "ocrbox", SettingClientSecret: "s3cret"})
			_, err := p.Authenticate(t.Context(), adaEmail, adaPassword)
			if !errors.Is(err, c.want) {
				t.Errorf("%s: Authenticate = %v, want %v", c.mode, err, c.want)
			}
			assertNoSecrets(t, err, adaPassword, "s3cret")
		}
	})

	t.Run("IdP stops after discovery", func(t *testing.T) {
		t.Parallel()
		d := idp.StartDex(t, idp.DexOptions{Users: testUsers})
		p := newProvider(t, dexSettings(d))
		login, err := p.Authenticate(t.Context(), adaEmail, adaPassword)
		if err != nil {
			t.Fatal(err)
		}
		claims := jwtClaims(t, login.GetIdToken())
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		foreign := signRSA(t, key, "rotated-key", claims)
		d.Stop()

		start := time.Now()
		if _, err := p.Authenticate(t.Context(), adaEmail, adaPassword); !errors.Is(err, sdk.ErrUnavailable) {
			t.Errorf("Authenticate = %v, want ErrUnavailable", err)
		}
		// An outage must not look like a dead refresh token: the host
		// would end a session that is fine.
		if _, err := p.RefreshToken(t.Context(), login.GetRefreshToken()); !errors.Is(err, sdk.ErrUnavailable) {
			t.Errorf("RefreshToken = %v, want ErrUnavailable", err)
		}
		// A key id not in the cache needs the JWKS, which is down.
		if _, err := p.ValidateToken(t.Context(), foreign); !errors.Is(err, sdk.ErrUnavailable) {
			t.Errorf("ValidateToken(unknown kid) = %v, want ErrUnavailable", err)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("calls against a stopped IdP took %v", el)
		}
		// Keys already fetched still verify: valid tokens keep working
		// while the IdP is down.
		if _, err := p.ValidateToken(t.Context(), login.GetIdToken()); err != nil {
			t.Errorf("ValidateToken(valid, cached key) = %v", err)
		}
	})
}
