package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/test/idp"
)

// The providers TestIdPScenarios runs each scenario with: two real IdPs
// through the oidc provider, and the organisation API of a non-default
// shape through the http provider.

// idpSetup is what a scenario needs from the provider and the server.
type idpSetup struct {
	// tokenTTL is the provider's access and ID token lifetime (default 1h).
	tokenTTL time.Duration
	// keyRotation: Dex rotates its signing key every 30 s.
	keyRotation bool
	// noOfflineAccess: ocrbox does not get a refresh token (Dex: scopes
	// without offline_access; node-oidc-provider: no prompt=consent; the
	// org API: answers without a renew token).
	noOfflineAccess bool
	// wrongSecret: ocrbox is configured with a client secret the provider
	// does not know (the org API: a wrong basic-auth password in its URL).
	wrongSecret bool
	// linkByVerifiedEmail: auth.link_by_verified_email lists the provider.
	linkByVerifiedEmail bool
	// env adds settings to the server's environment.
	env []string
}

// scenarioIdP is one running provider, whatever its kind: what the
// scenarios do with it and count at it.
type scenarioIdP struct {
	// provider is its name in ocrbox ("oidc", "http"); env configures the
	// server for it, auth.providers included.
	provider string
	env      []string
	// secrets must never reach the server log (besides the passwords).
	secrets func() []string
	// browser: people sign in through the browser's code flow at issuer;
	// otherwise they post their password to ocrbox, which asks the
	// provider.
	browser bool
	issuer  string
	// passwordGrant: POST /auth/login takes the provider's passwords (Dex's
	// discovery lists the password grant; the http provider).
	passwordGrant bool
	// codeRequests counts token requests carrying code (browser); logins
	// the login requests naming login (password).
	codeRequests func(code string) int
	logins       func(login string) int
	// refreshes counts renewals of its tokens (refresh_token grants).
	refreshes func() int
	// setDown makes the provider unreachable (true) or brings it back.
	setDown func(t testing.TB, down bool)
	// rotate returns once the IdP signs with a key it did not use before.
	rotate func(t testing.TB)
	// revocation reports revocation requests and refresh tokens still
	// live (node-oidc-provider, the org API).
	revocation func(t testing.TB) (revocations, live int)
}

type idpKind struct {
	name  string
	start func(t *testing.T, redirectURI string, setup idpSetup) *scenarioIdP
}

// The people at every provider. Ada's email is also a local account's in
// the linking scenarios; Una's is unverified (node-oidc-provider and the
// org API).
const (
	adaEmail, adaPassword = "ada@example.org", "ada-idp-Passw0rd"
	unaEmail, unaPassword = "una@example.org", "una-idp-Passw0rd"
	localPassword         = "local-Passw0rd"
)

// orgKindName is the http provider's column.
const orgKindName = "http provider (fake org API, non-default shape)"

var idpKinds = []idpKind{
	{name: "Dex", start: startDexIdP},
	{name: "node-oidc-provider", start: startNodeIdP},
	{name: orgKindName, start: startOrgIdP},
}

// oidcEnv configures the oidc provider for an IdP.
func oidcEnv(issuer, clientID, secret, prompt string, setup idpSetup) []string {
	if setup.wrongSecret {
		secret = "not-the-" + secret
	}
	env := []string{
		"OCRBOX_AUTH_PROVIDERS=oidc,local",
		"OCRBOX_PLUGINS_OIDC_ISSUER=" + issuer,
		"OCRBOX_PLUGINS_OIDC_CLIENT_ID=" + clientID,
		"OCRBOX_PLUGINS_OIDC_CLIENT_SECRET=" + secret,
	}
	if prompt != "" {
		env = append(env, "OCRBOX_PLUGINS_OIDC_PROMPT="+prompt)
	}
	if setup.noOfflineAccess {
		env = append(env, "OCRBOX_PLUGINS_OIDC_SCOPES=openid email profile")
	}
	return env
}

func startDexIdP(t *testing.T, redirectURI string, setup idpSetup) *scenarioIdP {
	tap := idp.StartTap(t)
	opts := idp.DexOptions{RedirectURIs: []string{redirectURI}, IssuerAddr: tap.Addr,
		Users:      []idp.DexUser{{Email: adaEmail, Username: "ada", Name: "Ada at the IdP", Password: adaPassword}},
		IDTokenTTL: setup.tokenTTL}
	if setup.keyRotation {
		opts.KeyRotation = time.Second
	}
	d := idp.StartDex(t, opts)
	tap.SetUpstream(d.Addr)
	return &scenarioIdP{provider: "oidc", env: oidcEnv(d.Issuer, d.ClientID, d.ClientSecret, "", setup),
		secrets: func() []string { return []string{d.ClientSecret} },
		browser: true, issuer: d.Issuer, passwordGrant: true,
		codeRequests: tap.CodeRequests,
		refreshes:    func() int { return tap.GrantRequests("refresh_token") },
		setDown:      func(_ testing.TB, down bool) { tap.SetDown(down) },
		rotate: func(t testing.TB) {
			before := jwksKids(t, d.Issuer+"/keys")
			deadline := time.Now().Add(45 * time.Second) // Dex rotates on a 30 s tick
			for {
				now := jwksKids(t, d.Issuer+"/keys")
				if slices.ContainsFunc(now, func(k string) bool { return !slices.Contains(before, k) }) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("Dex did not rotate its key in 45 s: %v", now)
				}
				time.Sleep(500 * time.Millisecond)
			}
		},
	}
}

func startNodeIdP(t *testing.T, redirectURI string, setup idpSetup) *scenarioIdP {
	p := idp.StartNodeOIDC(t, idp.NodeOIDCOptions{AccessTokenTTL: setup.tokenTTL,
		Clients: []idp.NodeOIDCClient{{ID: idp.DefaultClientID, Secret: idp.DefaultClientSecret, RedirectURIs: []string{redirectURI}}},
		Accounts: []idp.NodeOIDCAccount{
			{Subject: "ada-at-node", Email: adaEmail, Verified: true, Name: "Ada at the IdP", Password: adaPassword},
			{Subject: "una-at-node", Email: unaEmail, Verified: false, Name: "Una at the IdP", Password: unaPassword},
		}})
	counts := func(t testing.TB) idp.NodeOIDCCounts {
		c, err := p.Counts()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	prompt := "consent"
	if setup.noOfflineAccess {
		prompt = "" // without consent, node-oidc-provider drops offline_access (OIDC Core §11)
	}
	return &scenarioIdP{provider: "oidc", env: oidcEnv(p.Issuer, p.ClientID, p.ClientSecret, prompt, setup),
		secrets: func() []string { return []string{p.ClientSecret} },
		browser: true, issuer: p.Issuer,
		codeRequests: func(code string) int { return counts(t).Codes[code] },
		refreshes:    func() int { return counts(t).Grants["refresh_token"] },
		setDown: func(t testing.TB, down bool) {
			err := p.Up()
			if down {
				err = p.Down()
			}
			if err != nil {
				t.Fatal(err)
			}
		},
		rotate: func(t testing.TB) {
			if err := p.RotateKeys(); err != nil {
				t.Fatal(err)
			}
		},
		revocation: func(t testing.TB) (int, int) {
			c := counts(t)
			return c.Revocations, c.LiveRefreshTokens
		},
	}
}

// startOrgIdP is the organisation's own auth API (orgNestedShape) through
// the http provider: people sign in with a password, its renew tokens are
// rotated at each renewal, logout revokes them, and ocrbox itself must
// present basic-auth credentials.
func startOrgIdP(t *testing.T, _ string, setup idpSetup) *scenarioIdP {
	secret := "org-client-SECRET-" + randomHex(6)
	api := startOrgAPI(t, orgNestedShape, orgOptions{ttl: int(setup.tokenTTL / time.Second),
		noRenewToken: setup.noOfflineAccess, clientSecret: secret,
		accounts: []orgAccount{
			// Ada's answer says nothing of her email: the organisation's
			// word counts (a directory provider). Una's says unverified.
			{email: adaEmail, password: adaPassword, id: "1815", name: "Ada at the IdP", department: "Analytics"},
			{email: unaEmail, password: unaPassword, id: "1816", name: "Una at the IdP", verified: "false"},
		}})
	used := secret
	if setup.wrongSecret {
		used = "not-the-" + secret
	}
	return &scenarioIdP{provider: "http", env: append(api.env(used), "OCRBOX_AUTH_PROVIDERS=http,local"),
		secrets:       func() []string { return append([]string{secret, used}, api.secrets()...) },
		passwordGrant: true,
		logins:        api.loginsOf,
		refreshes:     func() int { _, n, _, _ := api.counts(); return n },
		setDown: func(_ testing.TB, down bool) {
			if down {
				api.setMode("down")
			} else {
				api.setMode("up")
			}
		},
		revocation: func(testing.TB) (int, int) { _, _, n, live := api.counts(); return n, live },
	}
}

// scenarioRun is one row: its provider and its server.
type scenarioRun struct {
	idp  *scenarioIdP
	s    *server
	anon *client
}

func startScenario(t *testing.T, kind idpKind, setup idpSetup) *scenarioRun {
	if setup.tokenTTL == 0 {
		setup.tokenTTL = time.Hour
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	x := kind.start(t, fmt.Sprintf("http://127.0.0.1:%d/api/v1/auth/oidc/callback", port), setup)
	env := append([]string{"OCRBOX_OCR_WORKERS=1"}, x.env...)
	if setup.linkByVerifiedEmail {
		env = append(env, "OCRBOX_AUTH_LINK_BY_VERIFIED_EMAIL="+x.provider)
	}
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: t.TempDir(), Port: port, Env: append(env, setup.env...)})
	t.Cleanup(func() {
		log := s.stderr.From(0)
		for _, secret := range append(x.secrets(), adaPassword, unaPassword) {
			if strings.Contains(log, secret) {
				t.Errorf("a password, token or client secret (%.12s…) reached the server log", secret)
			}
		}
	})
	return &scenarioRun{idp: x, s: s, anon: newClient(s)}
}

// signInResult is one sign-in attempt as the person saw it.
type signInResult struct {
	status int
	body   string
	code   string // the error's code
	// sent is how often the provider saw this attempt's authorization code
	// (browser) or password (login requests): once, whatever the outcome.
	sent int
	c    *client // the session, when signed in
}

// attempt signs a person in the way the provider's people do: through the
// browser's code flow, or with a password posted to ocrbox.
func (x *scenarioRun) attempt(t testing.TB, email, password string) signInResult {
	t.Helper()
	var res signInResult
	if x.idp.browser {
		var code string
		res.status, res.body, code, res.c = x.browserSignIn(t, email, password)
		res.sent = x.idp.codeRequests(code)
	} else {
		before := x.idp.logins(email)
		r := x.anon.tryLogin(t, email, password)
		res.status, res.body, res.sent = r.Status, string(r.Body), x.idp.logins(email)-before
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if r.Status == http.StatusOK && json.Unmarshal(r.Body, &tok) == nil && tok.AccessToken != "" {
			res.c = x.anon.withToken(tok.AccessToken)
		}
	}
	var e apiError
	if json.Unmarshal([]byte(res.body), &e) == nil {
		res.code = e.Error.Code
	}
	return res
}

// signIn is an attempt that must succeed, with the code or password sent
// once.
func (x *scenarioRun) signIn(t testing.TB, email, password string) *client {
	t.Helper()
	res := x.attempt(t, email, password)
	if res.c == nil {
		t.Fatalf("sign-in: %d %s", res.status, res.body)
	}
	if res.sent != 1 {
		t.Fatalf("the provider saw the code or password %d times, want once", res.sent)
	}
	return res.c
}

// browserSignIn plays a browser through "Sign in with …": ocrbox's login
// start, the IdP's forms, ocrbox's callback. It returns the callback's
// answer, the authorization code and, on success, a client holding the
// session.
func (x *scenarioRun) browserSignIn(t testing.TB, email, password string) (status int, body, code string, c *client) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := browser.Get(x.s.baseURL + "/api/v1/auth/oidc/login?return_to=/history")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	authURL := r.Header.Get("Location")
	au, _ := url.Parse(authURL)
	if r.StatusCode != http.StatusFound || !strings.HasPrefix(authURL, x.idp.issuer) ||
		au.Query().Get("code_challenge_method") != "S256" || len(au.Query().Get("code_challenge")) != 43 {
		t.Fatalf("login start: %d %q, want a redirect to %s with an S256 challenge", r.StatusCode, authURL, x.idp.issuer)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	callback, err := idp.BrowserLogin(ctx, authURL, email, password)
	if err != nil {
		t.Fatalf("sign-in at the IdP: %v", err)
	}
	cu, _ := url.Parse(callback)
	code = cu.Query().Get("code")
	r, err = browser.Get(callback)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode == http.StatusFound {
		for _, ck := range jar.Cookies(cu) {
			if ck.Name == "ocrbox_session" {
				c = x.anon.withToken(ck.Value)
			}
		}
		if c == nil {
			t.Fatalf("callback: %d without a session cookie", r.StatusCode)
		}
	}
	return r.StatusCode, string(data), code, c
}

// alive reports whether c's session still opens /auth/me.
func alive(t testing.TB, c *client) bool {
	t.Helper()
	switch r := c.get(t, "/auth/me"); r.Status {
	case http.StatusOK:
		return true
	case http.StatusUnauthorized:
		return false
	default:
		t.Fatalf("/auth/me: %d %s", r.Status, r.Body)
		return false
	}
}

// waitRefreshes waits until the provider has seen n more renewals.
func (x *scenarioRun) waitRefreshes(t testing.TB, n int, within time.Duration) {
	t.Helper()
	want := x.idp.refreshes() + n
	deadline := time.Now().Add(within)
	for x.idp.refreshes() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d renewals at the provider after %s, want %d", x.idp.refreshes(), within, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// jwksKids lists the key ids of a JWKS.
func jwksKids(t testing.TB, jwksURL string) []string {
	t.Helper()
	r, err := http.Get(jwksURL)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(r.Body).Decode(&set); err != nil {
		t.Fatalf("JWKS %s: %v", jwksURL, err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}
