package idp

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestBuildConfig(t *testing.T) {
	opts := DexOptions{
		Users:        []DexUser{{Email: "ada@example.org", Username: "ada", Name: "Ada Lovelace", Password: "pw-ada"}},
		ExtraClients: []DexClient{{ID: "other", Secret: "s", RedirectURIs: []string{"http://127.0.0.1/cb"}}},
		IDTokenTTL:   2 * time.Second,
	}.withDefaults()
	cfg, err := buildConfig(opts, "http://127.0.0.1:5556/dex", "127.0.0.1:5556")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Expiry.IDTokens != "2s" || cfg.Expiry.RefreshTokens.AbsoluteLifetime != "168h0m0s" {
		t.Errorf("expiry = %+v", cfg.Expiry)
	}
	if cfg.Storage.Type != "memory" || !cfg.EnablePasswordDB || cfg.OAuth2.PasswordConnector != "local" || !cfg.OAuth2.SkipApprovalScreen {
		t.Errorf("config = %+v", cfg)
	}
	if len(cfg.StaticClients) != 2 || cfg.StaticClients[0].ID != DefaultClientID || cfg.StaticClients[1].ID != "other" {
		t.Errorf("clients = %+v", cfg.StaticClients)
	}
	p := cfg.StaticPasswords[0]
	if err := bcrypt.CompareHashAndPassword([]byte(p.Hash), []byte("pw-ada")); err != nil {
		t.Errorf("hash does not match the password: %v", err)
	}
	if cost, _ := bcrypt.Cost([]byte(p.Hash)); cost < bcrypt.DefaultCost {
		t.Errorf("bcrypt cost %d is below Dex's minimum %d", cost, bcrypt.DefaultCost)
	}
	if p.UserID != "ada" || p.Name != "Ada Lovelace" {
		t.Errorf("password entry = %+v", p)
	}
	data, _ := json.Marshal(cfg)
	if strings.Contains(string(data), "pw-ada") {
		t.Error("config holds the plain password")
	}
	if _, err := buildConfig(DexOptions{Users: []DexUser{{Username: "x"}}}.withDefaults(), "i", "a"); err == nil {
		t.Error("a user without email and password was accepted")
	}
}

// TestDexBrowserLogin checks the harness itself against a real Dex: the
// discovery document, the scripted login form and a refused password.
func TestDexBrowserLogin(t *testing.T) {
	d := StartDex(t, DexOptions{Users: []DexUser{{Email: "ada@example.org", Username: "ada", Name: "Ada", Password: "pw-ada"}}})
	resp, err := http.Get(d.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		Issuer string `json:"issuer"`
		Auth   string `json:"authorization_endpoint"`
	}
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil || disc.Issuer != d.Issuer {
		t.Fatalf("discovery = %+v, %v", disc, err)
	}
	authURL := func(state string) string {
		q := url.Values{
			"client_id": {d.ClientID}, "redirect_uri": {d.RedirectURI()}, "response_type": {"code"},
			"scope": {"openid email"}, "state": {state},
		}
		return disc.Auth + "?" + q.Encode()
	}

	cb := DexBrowserLogin(t, authURL("st-1"), "ada@example.org", "pw-ada")
	u, err := url.Parse(cb)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cb, d.RedirectURI()+"?") || u.Query().Get("code") == "" || u.Query().Get("state") != "st-1" {
		t.Fatalf("callback = %s", cb)
	}

	_, err = BrowserLogin(t.Context(), authURL("st-2"), "ada@example.org", "wrong")
	if !errors.Is(err, ErrLoginRejected) {
		t.Fatalf("wrong password: %v, want ErrLoginRejected", err)
	}
}
