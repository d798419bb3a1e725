package oidc

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/test/idp"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// The tests run against a real Dex (test/idp), one shared by the package;
// tests that need other token lifetimes or an IdP to stop start their own.

const (
	adaEmail    = "ada@example.org"
	adaName     = "Ada Lovelace"
	adaPassword = "correct horse battery staple"
	bobEmail    = "bob@example.org"
	bobPassword = "bob-secret-pw"

	otherClientID     = "other-app"
	otherClientSecret = "other-app-secret"
)

var testUsers = []idp.DexUser{
	{Email: adaEmail, Username: "ada", Name: adaName, Password: adaPassword},
	{Email: bobEmail, Username: "bob", Password: bobPassword}, // no name: Dex uses the username
}

var (
	sharedDex *idp.Dex
	// dexErr is why sharedDex is nil (outside CI, tests then skip).
	dexErr error
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	d, err := idp.LaunchDex(idp.DexOptions{
		Users: testUsers,
		ExtraClients: []idp.DexClient{{
			ID: otherClientID, Secret: otherClientSecret, RedirectURIs: []string{idp.DefaultRedirectURI},
		}},
	})
	if err != nil {
		if testenv.CI() {
			fmt.Fprintln(os.Stderr, "FAIL: CI=true and Dex cannot run:", err)
			return 1
		}
		dexErr = err
		return m.Run()
	}
	sharedDex = d
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "dex log (%s):\n%s\n", d.Issuer, d.Logs())
	}
	d.Close()
	return code
}

// dex returns the shared Dex, or skips the test when it could not start.
func dex(t *testing.T) *idp.Dex {
	t.Helper()
	if sharedDex == nil {
		testenv.RequireOrSkip(t, "%v", dexErr)
	}
	return sharedDex
}

// dexSettings are the Configure settings for client id at d.
func dexSettings(d *idp.Dex, extra ...string) map[string]string {
	s := map[string]string{
		SettingIssuer:       d.Issuer,
		SettingClientID:     d.ClientID,
		SettingClientSecret: d.ClientSecret,
		SettingTimeout:      "5s",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		s[extra[i]] = extra[i+1]
	}
	return s
}

// newProvider returns a Provider configured with settings.
func newProvider(t *testing.T, settings map[string]string) *Provider {
	t.Helper()
	p := New()
	if err := p.Configure(t.Context(), settings); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return p
}

// jwtClaims decodes a JWT's payload without verifying it.
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(data, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// jwtHeader decodes a JWT's header.
func jwtHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	data, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func b64JSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(data)
}

// assertNoSecrets fails when err's message holds one of secrets.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q leaks a secret", err)
		}
	}
}
