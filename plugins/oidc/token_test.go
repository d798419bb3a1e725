package oidc

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/test/idp"
)

func TestRefreshToken(t *testing.T) {
	d := dex(t)
	p := newProvider(t, dexSettings(d))
	first, err := p.Authenticate(t.Context(), adaEmail, adaPassword)
	if err != nil {
		t.Fatal(err)
	}

	resp, err := p.RefreshToken(t.Context(), first.GetRefreshToken())
	if err != nil {
		t.Fatal(err)
	}
	if u := resp.GetUser(); u.GetEmail() != adaEmail || u.GetName() != adaName || u.GetSubject() != first.GetUser().GetSubject() {
		t.Fatalf("user = %v", u)
	}
	if resp.GetAccessToken() == "" || resp.GetIdToken() == "" || resp.GetRefreshToken() == "" || resp.GetExpiresIn() <= 0 {
		t.Fatal("refresh answer lacks tokens")
	}
	if resp.GetRefreshToken() == first.GetRefreshToken() {
		t.Error("Dex rotates refresh tokens, but the old one came back")
	}
	// The rotated token works in turn.
	if _, err := p.RefreshToken(t.Context(), resp.GetRefreshToken()); err != nil {
		t.Fatalf("second refresh: %v", err)
	}

	for _, bad := range []string{"garbage-refresh-token", "", first.GetIdToken()} {
		_, err := p.RefreshToken(t.Context(), bad)
		if !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Errorf("RefreshToken(%.12q…) = %v, want ErrInvalidCredentials", bad, err)
		}
		assertNoSecrets(t, err, bad, d.ClientSecret)
	}
}

func TestValidateToken(t *testing.T) {
	d := dex(t)
	p := newProvider(t, dexSettings(d))
	login, err := p.Authenticate(t.Context(), adaEmail, adaPassword)
	if err != nil {
		t.Fatal(err)
	}
	idToken := login.GetIdToken()

	for name, tok := range map[string]string{"ID token": idToken, "access token": login.GetAccessToken()} {
		t.Run("accepts Dex's "+name, func(t *testing.T) {
			resp, err := p.ValidateToken(t.Context(), tok)
			if err != nil {
				t.Fatal(err)
			}
			if u := resp.GetUser(); u.GetEmail() != adaEmail || u.GetName() != adaName || u.GetSubject() != login.GetUser().GetSubject() {
				t.Fatalf("user = %v", u)
			}
			if e := resp.GetExpiresIn(); e < 3500 || e > 3600 {
				t.Errorf("expires_in = %d", e)
			}
			if resp.GetAccessToken() != "" || resp.GetRefreshToken() != "" {
				t.Error("ValidateToken must not hand out tokens")
			}
		})
	}

	header, claims := jwtHeader(t, idToken), jwtClaims(t, idToken)
	parts := strings.Split(idToken, ".")
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range claims {
			c[kk] = vv
		}
		c[k] = v
		return c
	}
	foreignKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// The IdP's own public key, as an attacker would fetch it from the JWKS.
	idpPublic := dexPublicKeyJSON(t, d)

	otherApp := otherClientToken(t, d)

	cases := []struct {
		name  string
		token string
	}{
		{"tampered payload", parts[0] + "." + b64JSON(t, with("email", "eve@example.org")) + "." + parts[2]},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(login.GetAccessToken(), ".")[2]},
		{"alg none", b64JSON(t, map[string]any{"alg": "none", "typ": "JWT"}) + "." + parts[1] + "."},
		{"alg none with the original signature", b64JSON(t, map[string]any{"alg": "none", "kid": header["kid"]}) + "." + parts[1] + "." + parts[2]},
		{"HS256 keyed with the IdP's public key", signHMAC(t, idpPublic, claims)},
		{"foreign RSA key claiming Dex's kid", signRSA(t, foreignKey, header["kid"].(string), claims)},
		{"foreign RSA key with its own kid", signRSA(t, foreignKey, "attacker-key", claims)},
		{"foreign RSA key without kid", signRSA(t, foreignKey, "", claims)},
		{"audience of another client", otherApp},
		{"not a JWT", "garbage"},
		{"empty", ""},
		{"three dots of nothing", ".."},
	}
	for _, c := range cases {
		t.Run("rejects "+c.name, func(t *testing.T) {
			resp, err := p.ValidateToken(t.Context(), c.token)
			if !errors.Is(err, sdk.ErrInvalidCredentials) {
				t.Fatalf("ValidateToken = %v, %v; want ErrInvalidCredentials", resp, err)
			}
			t.Log(err)
		})
	}

	t.Run("rejects an expired token", func(t *testing.T) {
		short := idp.StartDex(t, idp.DexOptions{Users: testUsers, IDTokenTTL: 2 * time.Second})
		sp := newProvider(t, dexSettings(short))
		resp, err := sp.Authenticate(t.Context(), adaEmail, adaPassword)
		if err != nil {
			t.Fatal(err)
		}
		if e := resp.GetExpiresIn(); e > 2 {
			t.Fatalf("expires_in = %d with a 2s token lifetime", e)
		}
		if _, err := sp.ValidateToken(t.Context(), resp.GetIdToken()); err != nil {
			t.Fatalf("fresh short-lived token: %v", err)
		}
		// The token of another issuer, same client id, is refused by the
		// shared provider.
		if _, err := p.ValidateToken(t.Context(), resp.GetIdToken()); !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("token of another issuer: %v, want ErrInvalidCredentials", err)
		}
		exp := time.Unix(int64(jwtClaims(t, resp.GetIdToken())["exp"].(float64)), 0)
		time.Sleep(time.Until(exp) + 1100*time.Millisecond)
		_, err = sp.ValidateToken(t.Context(), resp.GetIdToken())
		if !errors.Is(err, sdk.ErrInvalidCredentials) || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("expired token: %v, want ErrInvalidCredentials (expired)", err)
		}
	})
}

func TestGetUserInfo(t *testing.T) {
	d := dex(t)
	p := newProvider(t, dexSettings(d))
	login, err := p.Authenticate(t.Context(), adaEmail, adaPassword)
	if err != nil {
		t.Fatal(err)
	}
	u, err := p.GetUserInfo(t.Context(), login.GetAccessToken())
	if err != nil {
		t.Fatal(err)
	}
	if u.GetEmail() != adaEmail || u.GetName() != adaName || u.GetSubject() != login.GetUser().GetSubject() {
		t.Fatalf("user info = %v", u)
	}
	for _, bad := range []string{"garbage", ""} {
		if _, err := p.GetUserInfo(t.Context(), bad); !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Errorf("GetUserInfo(%q) = %v, want ErrInvalidCredentials", bad, err)
		}
	}
}

// TestRevokeToken uses a stand-in IdP: Dex has no revocation endpoint.
func TestRevokeToken(t *testing.T) {
	type revocation struct {
		form      string
		basicAuth bool
	}
	var (
		mu     sync.Mutex
		got    []revocation
		status = http.StatusOK
		issuer string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{
				"issuer": issuer, "authorization_endpoint": issuer + "/auth", "token_endpoint": issuer + "/token",
				"jwks_uri": issuer + "/keys", "revocation_endpoint": issuer + "/revoke",
			})
		case "/revoke":
			body, _ := io.ReadAll(r.Body)
			user, pass, ok := r.BasicAuth()
			mu.Lock()
			defer mu.Unlock()
			got = append(got, revocation{form: string(body), basicAuth: ok && user == "ocrbox" && pass == "s3cret"})
			w.WriteHeader(status)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	issuer = srv.URL
	p := newProvider(t, map[string]string{SettingIssuer: issuer, SettingClientID: "ocrbox", SettingClientSecret: "s3cret"})

	info, err := p.Info(t.Context())
	if err != nil || !info.GetSupportsRevoke() {
		t.Fatalf("Info = %v, %v; want SupportsRevoke", info, err)
	}
	if err := p.RevokeToken(t.Context(), "the-refresh-token", "refresh_token"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	status = http.StatusServiceUnavailable
	mu.Unlock()
	if err := p.RevokeToken(t.Context(), "tok", ""); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("RevokeToken with the endpoint answering 503 = %v, want ErrUnavailable", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []revocation{{"token=the-refresh-token&token_type_hint=refresh_token", true}, {"token=tok", true}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("revocation requests = %+v, want %+v", got, want)
	}
}

// otherClientToken is an ID token Dex issued to another client.
func otherClientToken(t *testing.T, d *idp.Dex) string {
	t.Helper()
	other := newProvider(t, dexSettings(d, SettingClientID, otherClientID, SettingClientSecret, otherClientSecret))
	resp, err := other.Authenticate(t.Context(), adaEmail, adaPassword)
	if err != nil {
		t.Fatal(err)
	}
	if aud := jwtClaims(t, resp.GetIdToken())["aud"]; aud != otherClientID {
		t.Fatalf("other client's token has aud %v", aud)
	}
	return resp.GetIdToken()
}

// dexPublicKeyJSON fetches Dex's first signing key as JSON.
func dexPublicKeyJSON(t *testing.T, d *idp.Dex) []byte {
	t.Helper()
	resp, err := http.Get(d.Issuer + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("JWKS: %v (%d keys)", err, len(set.Keys))
	}
	return set.Keys[0]
}

func signRSA(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	return sign(t, jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, claims)
}

func signHMAC(t *testing.T, secret []byte, claims map[string]any) string {
	t.Helper()
	return sign(t, jose.SigningKey{Algorithm: jose.HS256, Key: secret}, claims)
}

func sign(t *testing.T, key jose.SigningKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
