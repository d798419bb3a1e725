package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/ocrbox/ocrbox/test/idp"
)

// TestOIDCSignIn signs in through a real Dex: the password grant (API
// clients), the browser code flow with PKCE, and a Dex token presented
// directly as a bearer.
func TestOIDCSignIn(t *testing.T) {
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	redirect := fmt.Sprintf("http://127.0.0.1:%d/api/v1/auth/oidc/callback", port)
	const email, password = "grace@example.org", "grace-Passw0rd"
	const adaEmail, adaLocalPassword, adaDexPassword = "ada@example.org", "ada-local-Passw0rd", "ada-dex-Passw0rd"
	dex := idp.StartDex(t, idp.DexOptions{RedirectURIs: []string{redirect},
		Users: []idp.DexUser{{Email: email, Username: "grace", Name: "Grace Hopper", Password: password},
			// Dex's Ada has the email of a local account made before.
			{Email: adaEmail, Username: "ada-at-dex", Name: "Ada at Dex", Password: adaDexPassword}}})
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: t.TempDir(), Port: port, Env: []string{
		"OCRBOX_AUTH_PROVIDERS=oidc,local",
		"OCRBOX_PLUGINS_OIDC_ISSUER=" + dex.Issuer,
		"OCRBOX_PLUGINS_OIDC_CLIENT_ID=" + dex.ClientID,
		"OCRBOX_PLUGINS_OIDC_CLIENT_SECRET=" + dex.ClientSecret,
	}})
	anon := newClient(s)

	t.Run("password grant", func(t *testing.T) {
		c := anon.login(t, email, password)
		if me := c.me(t); me.Email != email || me.Name != "Grace Hopper" || me.Provider != "oidc" {
			t.Fatalf("user: %+v", me)
		}
		if r := anon.tryLogin(t, email, "wrong"); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d %s", r.Status, r.Body)
		}
	})

	t.Run("an IdP account does not become the local account with its email until linked", func(t *testing.T) {
		addUser(t, binPath, s.cfg.DataDir, adaEmail, "Ada Local", adaLocalPassword)
		local := anon.login(t, adaEmail, adaLocalPassword).me(t)
		logFrom := s.stderr.Len()
		r := anon.tryLogin(t, adaEmail, adaDexPassword)
		if r.Status != http.StatusConflict || r.apiError(t).Error.Code != "account_link_required" {
			t.Fatalf("Dex's Ada signing in: %d %s, want 409 account_link_required", r.Status, r.Body)
		}
		// The server's output reaches the test through a pipe: wait for it.
		var m []string
		for deadline := time.Now().Add(5 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			m = regexp.MustCompile(`"subject":"([^"]+)"`).FindStringSubmatch(s.stderr.From(logFrom))
		}
		if m == nil {
			t.Fatalf("the refusal's log line names no subject:\n%s", s.stderr.From(logFrom))
		}
		out, err := runCLI(binPath, s.cfg.DataDir, "", "users", "link", adaEmail, "--provider", "oidc", "--subject", m[1])
		if err != nil || out.ExitCode != 0 || !strings.Contains(out.Stdout, "through the running server") {
			t.Fatalf("ocrbox users link: %v %+v", err, out)
		}
		linked := anon.login(t, adaEmail, adaDexPassword).me(t)
		if linked.ID != local.ID {
			t.Fatalf("after linking, Dex's Ada is user %s, want the local account %s", linked.ID, local.ID)
		}
	})

	t.Run("browser code flow with PKCE", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		r, err := browser.Get(s.baseURL + "/api/v1/auth/oidc/login?return_to=/history%3Fstatus%3Dfailed")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		authURL := r.Header.Get("Location")
		if r.StatusCode != http.StatusFound || !strings.HasPrefix(authURL, dex.Issuer) || !strings.Contains(authURL, "code_challenge_method=S256") {
			t.Fatalf("login redirect: %d %q", r.StatusCode, authURL)
		}
		callback := idp.DexBrowserLogin(t, authURL, email, password)

		// The callback without the browser's state cookie is refused.
		stranger := &http.Client{CheckRedirect: browser.CheckRedirect}
		if r, err := stranger.Get(callback); err != nil || r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("callback without the state cookie: %v %v", err, r.StatusCode)
		}
		r, err = browser.Get(callback)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "/history?status=failed" {
			t.Fatalf("callback: %d → %q", r.StatusCode, r.Header.Get("Location"))
		}
		r, err = browser.Get(s.baseURL + "/api/v1/auth/me")
		if err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("me with the session cookie: %v %d", err, r.StatusCode)
		}
		r.Body.Close()
		// Replaying the same callback (code + state) does not sign in again.
		if r, err := browser.Get(callback); err != nil || r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("replayed callback: %v %d", err, r.StatusCode)
		}
		// A person's browser is sent to the sign-in page with the reason instead.
		req, _ := http.NewRequest("GET", callback, nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		if r, err := browser.Do(req); err != nil || r.StatusCode != http.StatusFound ||
			!strings.HasPrefix(r.Header.Get("Location"), "/login?login_error=") {
			t.Fatalf("replayed callback in a browser: %v %v %q", err, r.StatusCode, r.Header.Get("Location"))
		}
	})

	t.Run("provider JWT as bearer", func(t *testing.T) {
		conf := oauth2.Config{ClientID: dex.ClientID, ClientSecret: dex.ClientSecret,
			Endpoint: oauth2.Endpoint{TokenURL: dex.Issuer + "/token"}, Scopes: []string{"openid", "email", "profile"}}
		tok, err := conf.PasswordCredentialsToken(context.Background(), email, password)
		if err != nil {
			t.Fatal(err)
		}
		idToken, _ := tok.Extra("id_token").(string)
		if me := anon.withToken(idToken).me(t); me.Email != email {
			t.Fatalf("bearer ID token: %+v", me)
		}
		parts := strings.Split(idToken, ".")
		tampered := parts[0] + "." + parts[1] + "x." + parts[2]
		if r := anon.withToken(tampered).get(t, "/auth/me"); r.Status != http.StatusUnauthorized {
			t.Fatalf("tampered JWT: %d", r.Status)
		}
		none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
		if r := anon.withToken(none).get(t, "/auth/me"); r.Status != http.StatusUnauthorized {
			t.Fatalf("alg none JWT: %d", r.Status)
		}
	})

	t.Run("refresh and logout", func(t *testing.T) {
		r := anon.tryLogin(t, email, password)
		var tok struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
		}
		r.JSON(t, &tok)
		r2 := anon.postJSON(t, "/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken})
		if r2.Status != http.StatusOK {
			t.Fatalf("refresh: %d %s", r2.Status, r2.Body)
		}
		if r := anon.postJSON(t, "/auth/refresh", map[string]string{"refresh_token": tok.RefreshToken}); r.Status != http.StatusUnauthorized {
			t.Fatalf("replayed refresh token: %d", r.Status)
		}
		var tok2 struct {
			AccessToken string `json:"access_token"`
		}
		r2.JSON(t, &tok2)
		c := anon.withToken(tok2.AccessToken)
		if r := c.do(t, http.MethodPost, "/auth/logout", nil, ""); r.Status != http.StatusNoContent {
			t.Fatalf("logout: %d", r.Status)
		}
		if r := c.get(t, "/auth/me"); r.Status != http.StatusUnauthorized {
			t.Fatalf("after logout: %d", r.Status)
		}
	})

	if log := s.stderr.From(0); strings.Contains(log, password) || strings.Contains(log, dex.ClientSecret) {
		t.Error("a secret reached the server log")
	}
}
