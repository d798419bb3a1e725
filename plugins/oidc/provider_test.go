package oidc

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

func TestConfigure(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := func(kv ...string) map[string]string {
		m := map[string]string{SettingIssuer: "https://idp.example.org/realms/x", SettingClientID: "ocrbox"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		settings map[string]string
		wantErr  string
	}{
		{"nil settings", nil, `"issuer" is required`},
		{"unknown key", base("insecure_skip_verfy", "true"), `unknown setting "insecure_skip_verfy" (did you mean "insecure_skip_verify"?)`},
		{"unknown key, nothing close", base("tenant", "x"), `unknown setting "tenant" (known: ca_file, client_id, client_secret`},
		{"no client id", map[string]string{SettingIssuer: "https://idp.example.org"}, `"client_id" is required`},
		{"issuer not a URL", base(SettingIssuer, "idp.example.org"), `"issuer"`},
		{"issuer ftp", base(SettingIssuer, "ftp://idp.example.org"), `"issuer"`},
		{"issuer with query", base(SettingIssuer, "https://idp.example.org/?tenant=1"), `"issuer"`},
		{"scopes without openid", base(SettingScopes, "email profile"), `"scopes" must include "openid"`},
		{"bad timeout", base(SettingTimeout, "soon"), `setting "timeout": "soon" is not a duration`},
		{"zero timeout", base(SettingTimeout, "0s"), `"timeout"`},
		{"bad bool", base(SettingInsecureSkipVerify, "maybe"), `setting "insecure_skip_verify": "maybe" is not true or false`},
		{"missing ca file", base(SettingCAFile, filepath.Join(dir, "none.pem")), `"ca_file"`},
		{"ca file without certificate", base(SettingCAFile, notPEM), "no PEM certificate"},
		{"unknown prompt", base(SettingPrompt, "consent always"), `setting "prompt": "always" is not one of none, login, consent, select_account`},
		{"prompt", base(SettingPrompt, "login consent"), ""},
		// The IdP is not contacted: an unreachable issuer configures fine.
		{"minimal", base(), ""},
		{"all keys", base(SettingClientSecret, "s3cret", SettingScopes, "openid,email", SettingDisplayName, "Acme SSO",
			SettingEmailClaim, "upn", SettingNameClaim, "given_name", SettingTimeout, "3s", SettingInsecureSkipVerify, "false"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New().Configure(t.Context(), tt.settings)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Configure = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Configure = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSettingsDefaults(t *testing.T) {
	s, err := parseSettings(map[string]string{SettingIssuer: "https://idp.example.org", SettingClientID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.scopes, " ") != defaultScopes || s.displayName != defaultDisplayName ||
		s.emailClaim != "email" || s.nameClaim != "name" || s.timeout != 10*time.Second || s.insecureTLS || s.roots != nil {
		t.Fatalf("defaults = %+v", s)
	}
}

func TestNotConfigured(t *testing.T) {
	p := New()
	if _, err := p.Authenticate(t.Context(), "a", "b"); !errors.Is(err, errNotConfigured) {
		t.Errorf("Authenticate = %v", err)
	}
	if _, err := p.ValidateToken(t.Context(), "a.b.c"); !errors.Is(err, errNotConfigured) {
		t.Errorf("ValidateToken = %v", err)
	}
	info, err := p.Info(t.Context())
	if err != nil || info.GetName() != Name || !info.GetSupportsBrowserLogin() {
		t.Errorf("Info = %v, %v", info, err)
	}
}

func TestInfo(t *testing.T) {
	d := dex(t)
	p := newProvider(t, dexSettings(d, SettingDisplayName, "Acme SSO"))
	info, err := p.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.GetName() != "oidc" || info.GetDisplayName() != "Acme SSO" || info.GetProtocolVersion() != sdk.ProtocolVersion ||
		!info.GetSupportsPassword() || !info.GetSupportsRefresh() || !info.GetSupportsBrowserLogin() || !info.GetValidatesJwt() {
		t.Fatalf("Info = %v", info)
	}
	// Dex's discovery document has no revocation_endpoint.
	if info.GetSupportsRevoke() {
		t.Error("SupportsRevoke = true against Dex")
	}
	if err := p.RevokeToken(t.Context(), "tok", "refresh_token"); !errors.Is(err, sdk.ErrNotImplemented) {
		t.Errorf("RevokeToken = %v, want ErrNotImplemented", err)
	}
	if _, err := p.LookupUser(t.Context(), adaEmail); !errors.Is(err, sdk.ErrNotImplemented) {
		t.Errorf("LookupUser = %v, want ErrNotImplemented", err)
	}
}

// TestDiscoveryLazyAndCached: Configure fetches nothing, the first call
// discovers, concurrent first calls share one fetch, and a failure is not
// cached.
func TestDiscoveryLazyAndCached(t *testing.T) {
	var (
		fetches atomic.Int32
		failing atomic.Bool
		issuer  string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		fetches.Add(1)
		if failing.Load() {
			http.Error(w, "starting up", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": issuer, "authorization_endpoint": issuer + "/auth", "token_endpoint": issuer + "/token", "jwks_uri": issuer + "/keys",
		})
	}))
	defer srv.Close()
	issuer = srv.URL
	failing.Store(true)
	p := newProvider(t, map[string]string{SettingIssuer: issuer, SettingClientID: "ocrbox"})
	if n := fetches.Load(); n != 0 {
		t.Fatalf("Configure fetched discovery %d times", n)
	}
	req := &sdk.BeginBrowserLoginRequest{
		RedirectUri: "https://ocr.example.org/api/v1/auth/oidc/callback", State: "s", Nonce: "n",
		CodeChallenge: oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()),
	}
	if _, err := p.BeginBrowserLogin(t.Context(), req); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("BeginBrowserLogin while discovery fails = %v, want ErrUnavailable", err)
	}
	failing.Store(false)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := p.BeginBrowserLogin(t.Context(), req); err != nil {
				t.Errorf("BeginBrowserLogin = %v", err)
			}
		})
	}
	wg.Wait()
	if n := fetches.Load(); n != 2 {
		t.Fatalf("discovery fetched %d times, want 2 (one failure, then one shared success)", n)
	}
}

// TestTLSSettings: an IdP behind a private CA is refused by default and
// trusted with ca_file (or, for tests, insecure_skip_verify).
func TestTLSSettings(t *testing.T) {
	var issuer string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": issuer, "authorization_endpoint": issuer + "/auth", "token_endpoint": issuer + "/token", "jwks_uri": issuer + "/keys",
		})
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	issuer = srv.URL
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	req := &sdk.BeginBrowserLoginRequest{
		RedirectUri: "https://ocr.example.org/api/v1/auth/oidc/callback", State: "s", Nonce: "n",
		CodeChallenge: oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()),
	}
	for _, c := range []struct {
		name  string
		extra map[string]string
		ok    bool
	}{
		{"system roots only", nil, false},
		{"ca_file", map[string]string{SettingCAFile: caFile}, true},
		{"insecure_skip_verify", map[string]string{SettingInsecureSkipVerify: "true"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := map[string]string{SettingIssuer: issuer, SettingClientID: "ocrbox"}
			for k, v := range c.extra {
				s[k] = v
			}
			_, err := newProvider(t, s).BeginBrowserLogin(t.Context(), req)
			if c.ok && err != nil {
				t.Fatalf("BeginBrowserLogin = %v", err)
			}
			if !c.ok && !errors.Is(err, sdk.ErrUnavailable) {
				t.Fatalf("BeginBrowserLogin = %v, want ErrUnavailable (untrusted certificate)", err)
			}
		})
	}
}
