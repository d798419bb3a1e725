package integration

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/test/idp"
)

var updateDocs = flag.Bool("update", false, "rewrite the 'Tested against' table of docs/auth-oidc.md from this run of TestIdPScenarios")

// TestIdPScenarios runs one table of sign-in scenarios against the real
// ocrbox binary with each real identity provider: Dex and node-oidc-provider
// (test/idp). Each row starts its own IdP and server, so rows run in
// parallel. A scenario an IdP cannot play is n/a with the reason, in the
// table like the others. The table of results must equal the one in
// docs/auth-oidc.md ("Tested against"); -update rewrites it there.
func TestIdPScenarios(t *testing.T) {
	needDeps(t)
	start := time.Now()
	var mu sync.Mutex
	results := map[[2]string]string{}
	t.Run("rows", func(t *testing.T) {
		for _, sc := range idpScenarios {
			for _, kind := range idpKinds {
				key := [2]string{sc.name, kind.name}
				if reason, ok := sc.na[kind.name]; ok {
					mu.Lock()
					results[key] = "n/a: " + reason
					mu.Unlock()
					continue
				}
				t.Run(sc.name+"/"+kind.name, func(t *testing.T) {
					t.Parallel()
					defer func() {
						r := "pass"
						if t.Failed() {
							r = "FAIL"
						}
						mu.Lock()
						results[key] = r
						mu.Unlock()
					}()
					sc.run(t, startScenario(t, kind, sc.setup))
				})
			}
		}
	})
	t.Logf("%d rows in %s", len(results), time.Since(start).Round(time.Second))
	checkScenarioDocs(t, renderScenarioTable(results))
}

// idpSetup is what a scenario needs from the IdP and the server.
type idpSetup struct {
	// tokenTTL is the IdP's access and ID token lifetime (default 1h).
	tokenTTL time.Duration
	// keyRotation: Dex rotates its signing key every 30 s.
	keyRotation bool
	// noOfflineAccess: ocrbox does not get a refresh token (Dex: scopes
	// without offline_access; node-oidc-provider: no prompt=consent).
	noOfflineAccess bool
	// wrongSecret: ocrbox is configured with a client secret the IdP
	// does not know.
	wrongSecret bool
	// env adds settings to the server's environment.
	env []string
}

// scenarioIdP is one running IdP, whatever its kind.
type scenarioIdP struct {
	issuer, clientID, clientSecret, prompt string
	// passwordGrant: discovery lists the password grant (Dex).
	passwordGrant bool
	// codeRequests counts token requests carrying code; refreshes counts
	// refresh_token grants.
	codeRequests func(code string) int
	refreshes    func() int
	// setDown makes the IdP unreachable (true) or brings it back.
	setDown func(t testing.TB, down bool)
	// rotated returns once the IdP signs with a key it did not use before.
	rotate func(t testing.TB)
	// revocation reports revocation requests and refresh tokens still
	// live (node-oidc-provider only).
	revocation func(t testing.TB) (revocations, live int)
}

type idpKind struct {
	name  string
	start func(t *testing.T, redirectURI string, setup idpSetup) *scenarioIdP
}

// The people at every IdP. Ada's email is also a local account's in the
// linking scenarios; Una's is unverified (node-oidc-provider only).
const (
	adaEmail, adaPassword = "ada@example.org", "ada-idp-Passw0rd"
	unaEmail, unaPassword = "una@example.org", "una-idp-Passw0rd"
	localPassword         = "local-Passw0rd"
)

var idpKinds = []idpKind{
	{name: "Dex", start: startDexIdP},
	{name: "node-oidc-provider", start: startNodeIdP},
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
	return &scenarioIdP{issuer: d.Issuer, clientID: d.ClientID, clientSecret: d.ClientSecret, passwordGrant: true,
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
	x := &scenarioIdP{issuer: p.Issuer, clientID: p.ClientID, clientSecret: p.ClientSecret, prompt: "consent",
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
	if setup.noOfflineAccess {
		x.prompt = "" // without consent, node-oidc-provider drops offline_access (OIDC Core §11)
	}
	return x
}

// scenarioRun is one row: its IdP and its server.
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
	secret := x.clientSecret
	if setup.wrongSecret {
		secret = "not-the-" + secret
	}
	env := []string{
		"OCRBOX_AUTH_PROVIDERS=oidc,local",
		"OCRBOX_PLUGINS_OIDC_ISSUER=" + x.issuer,
		"OCRBOX_PLUGINS_OIDC_CLIENT_ID=" + x.clientID,
		"OCRBOX_PLUGINS_OIDC_CLIENT_SECRET=" + secret,
		"OCRBOX_OCR_WORKERS=1",
	}
	if x.prompt != "" {
		env = append(env, "OCRBOX_PLUGINS_OIDC_PROMPT="+x.prompt)
	}
	if setup.noOfflineAccess {
		env = append(env, "OCRBOX_PLUGINS_OIDC_SCOPES=openid email profile")
	}
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: t.TempDir(), Port: port, Env: append(env, setup.env...)})
	t.Cleanup(func() {
		if log := s.stderr.From(0); strings.Contains(log, adaPassword) || strings.Contains(log, x.clientSecret) {
			t.Error("a password or the client secret reached the server log")
		}
	})
	return &scenarioRun{idp: x, s: s, anon: newClient(s)}
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

// signIn is browserSignIn that must succeed, with the code sent once.
func (x *scenarioRun) signIn(t testing.TB, email, password string) *client {
	t.Helper()
	status, body, code, c := x.browserSignIn(t, email, password)
	if status != http.StatusFound || c == nil {
		t.Fatalf("callback: %d %s", status, body)
	}
	if n := x.idp.codeRequests(code); n != 1 {
		t.Fatalf("the IdP saw the code %d times, want once", n)
	}
	return c
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

// waitRefreshes waits until the IdP has seen n more refresh grants.
func (x *scenarioRun) waitRefreshes(t testing.TB, n int, within time.Duration) {
	t.Helper()
	want := x.idp.refreshes() + n
	deadline := time.Now().Add(within)
	for x.idp.refreshes() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d refresh grants at the IdP after %s, want %d", x.idp.refreshes(), within, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// shortTokens: tokens live 5 s and ocrbox renews them 3 s before expiry
// (its refresher then looks every 1.5 s). Shorter leaves a loaded machine
// too little margin: the session ends the moment its tokens expire
// unrenewed, and Dex and ocrbox each round the lifetime down to seconds.
var shortTokens = idpSetup{tokenTTL: 5 * time.Second, env: []string{"OCRBOX_AUTH_TOKEN_REFRESH_BUFFER=3s"}}

type idpScenario struct {
	name  string
	na    map[string]string // IdP → why the scenario cannot run there
	setup idpSetup
	run   func(t *testing.T, x *scenarioRun)
}

var idpScenarios = []idpScenario{
	{
		name: "browser sign-in: code flow with PKCE (S256), code sent once",
		run: func(t *testing.T, x *scenarioRun) {
			c := x.signIn(t, adaEmail, adaPassword)
			if me := c.me(t); me.Email != adaEmail || me.Provider != "oidc" || me.Name != "Ada at the IdP" {
				t.Fatalf("user: %+v", me)
			}
		},
	},
	{
		name: "password sign-in with oidc,local: the IdP's password grant where discovery lists it, else passed over (wrong password 401, not 503)",
		run: func(t *testing.T, x *scenarioRun) {
			addUser(t, binPath, x.s.cfg.DataDir, "lena@example.org", "Lena Local", localPassword)
			if me := x.anon.login(t, "lena@example.org", localPassword).me(t); me.Provider != "local" {
				t.Fatalf("local account: %+v", me)
			}
			if r := x.anon.tryLogin(t, "lena@example.org", "wrong-Passw0rd"); r.Status != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d %s, want 401", r.Status, r.Body)
			}
			r := x.anon.tryLogin(t, adaEmail, adaPassword)
			if x.idp.passwordGrant {
				if r.Status != http.StatusOK {
					t.Fatalf("password grant at Dex: %d %s", r.Status, r.Body)
				}
			} else if r.Status != http.StatusUnauthorized { // node-oidc-provider has no ROPC
				t.Fatalf("the IdP's password through ocrbox: %d %s, want 401 (never sent)", r.Status, r.Body)
			}
		},
	},
	{
		name:  "refresh token renewal (node-oidc-provider: prompt=consent), session alive over several token lifetimes",
		setup: shortTokens,
		run: func(t *testing.T, x *scenarioRun) {
			c := x.signIn(t, adaEmail, adaPassword)
			x.waitRefreshes(t, 2, 15*time.Second)
			time.Sleep(shortTokens.tokenTTL) // past the first tokens' expiry
			if !alive(t, c) {
				t.Fatal("the session ended although its tokens were renewed")
			}
		},
	},
	{
		name: "no refresh token: the session outlives the access token and ends at auth.session_without_refresh",
		// 3 s tokens: Dex's expires_in is whole seconds rounded down, and
		// ocrbox records a token with under a second left at sign-in as
		// one without expiry, which no cap applies to.
		setup: idpSetup{tokenTTL: 3 * time.Second, noOfflineAccess: true,
			env: []string{"OCRBOX_AUTH_TOKEN_REFRESH_BUFFER=1s", "OCRBOX_AUTH_SESSION_WITHOUT_REFRESH=7s"}},
		run: func(t *testing.T, x *scenarioRun) {
			c := x.signIn(t, adaEmail, adaPassword)
			signedIn := time.Now()
			time.Sleep(4500 * time.Millisecond)
			if !alive(t, c) {
				t.Fatal("the session ended with its access token")
			}
			if n := x.idp.refreshes(); n != 0 {
				t.Fatalf("%d refresh grants without a refresh token", n)
			}
			time.Sleep(time.Until(signedIn.Add(8 * time.Second)))
			if alive(t, c) {
				t.Fatal("the session outlived auth.session_without_refresh")
			}
		},
	},
	{
		name:  "signing key rotation at the IdP, no ocrbox restart: renewed tokens under the new key verify",
		setup: idpSetup{tokenTTL: shortTokens.tokenTTL, keyRotation: true, env: shortTokens.env},
		run: func(t *testing.T, x *scenarioRun) {
			c := x.signIn(t, adaEmail, adaPassword)
			x.waitRefreshes(t, 1, 10*time.Second)
			logFrom := x.s.stderr.Len()
			x.idp.rotate(t)
			x.waitRefreshes(t, 2, 15*time.Second)
			time.Sleep(shortTokens.tokenTTL) // past the expiry of the tokens signed before
			if !alive(t, c) {
				t.Fatal("the session ended after the key rotation")
			}
			if log := x.s.stderr.From(logFrom); strings.Contains(log, "renewal failed") || strings.Contains(log, "misconfigured") {
				t.Fatalf("renewal failed after the rotation:\n%s", tail(log, 4000))
			}
		},
	},
	{
		name: "logout revokes the IdP's refresh token (RFC 7009)",
		na:   map[string]string{"Dex": "Dex has no revocation endpoint; logout ends the ocrbox session and Dex's tokens run out"},
		run: func(t *testing.T, x *scenarioRun) {
			c := x.signIn(t, adaEmail, adaPassword)
			if _, live := x.idp.revocation(t); live != 1 {
				t.Fatalf("%d live refresh tokens after sign-in, want 1", live)
			}
			if r := c.do(t, http.MethodPost, "/auth/logout", nil, ""); r.Status != http.StatusNoContent {
				t.Fatalf("logout: %d %s", r.Status, r.Body)
			}
			if alive(t, c) {
				t.Fatal("the session outlived the logout")
			}
			if n, live := x.idp.revocation(t); n != 1 || live != 0 {
				t.Fatalf("after logout: %d revocation requests, %d live refresh tokens; want 1 and 0", n, live)
			}
		},
	},
	{
		name:  "email_verified=false, email of a local account, link_by_verified_email=oidc: refused 409 account_link_required, account unchanged",
		na:    map[string]string{"Dex": "Dex's password connector always asserts email_verified=true"},
		setup: idpSetup{env: []string{"OCRBOX_AUTH_LINK_BY_VERIFIED_EMAIL=oidc"}},
		run: func(t *testing.T, x *scenarioRun) {
			refusedOverLocal(t, x, unaEmail, unaPassword)
		},
	},
	{
		name: "email_verified=true, email of a local account, linking off: refused 409 account_link_required, account unchanged",
		run: func(t *testing.T, x *scenarioRun) {
			refusedOverLocal(t, x, adaEmail, adaPassword)
		},
	},
	{
		name:  "email_verified=true, email of a local account, link_by_verified_email=oidc: joins the local account",
		setup: idpSetup{env: []string{"OCRBOX_AUTH_LINK_BY_VERIFIED_EMAIL=oidc"}},
		run: func(t *testing.T, x *scenarioRun) {
			addUser(t, binPath, x.s.cfg.DataDir, adaEmail, "Ada Local", localPassword)
			local := x.anon.login(t, adaEmail, localPassword).me(t)
			if me := x.signIn(t, adaEmail, adaPassword).me(t); me.ID != local.ID {
				t.Fatalf("the IdP's Ada is user %s, want the local account %s", me.ID, local.ID)
			}
			if me := x.anon.login(t, adaEmail, localPassword).me(t); me.ID != local.ID {
				t.Fatalf("the local password now opens %s, want %s", me.ID, local.ID)
			}
		},
	},
	{
		name:  "wrong client secret: 503 auth_misconfigured, code sent once, breaker stays closed",
		setup: idpSetup{wrongSecret: true, env: []string{"OCRBOX_AUTH_BREAKER_FAILURES=1"}},
		run: func(t *testing.T, x *scenarioRun) {
			for range 2 {
				status, body, code, _ := x.browserSignIn(t, adaEmail, adaPassword)
				var e apiError
				_ = json.Unmarshal([]byte(body), &e)
				if status != http.StatusServiceUnavailable || e.Error.Code != "auth_misconfigured" {
					t.Fatalf("callback with a wrong client secret: %d %s, want 503 auth_misconfigured", status, body)
				}
				if n := x.idp.codeRequests(code); n != 1 {
					t.Fatalf("the IdP saw the code %d times, want once", n)
				}
			}
			r, err := http.Get(x.s.baseURL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if m := regexp.MustCompile(`ocrbox_auth_breaker_state\{provider="oidc"\} (\d)`).FindSubmatch(metrics); m == nil || string(m[1]) != "0" {
				t.Fatalf("breaker state after two misconfigured sign-ins (breaker_failures=1): %q\n%s", m, tail(string(metrics), 2000))
			}
		},
	},
	{
		name:  "IdP down for over two token lifetimes: the session stays, renewal resumes when it is back",
		setup: shortTokens,
		run: func(t *testing.T, x *scenarioRun) {
			c := x.signIn(t, adaEmail, adaPassword)
			x.waitRefreshes(t, 1, 10*time.Second)
			x.idp.setDown(t, true)
			time.Sleep(2*shortTokens.tokenTTL + time.Second)
			if !alive(t, c) {
				t.Fatal("the IdP's outage ended the session")
			}
			x.idp.setDown(t, false)
			x.waitRefreshes(t, 1, 30*time.Second) // the refresher's backoff after one failure is 10 s
			if !alive(t, c) {
				t.Fatal("the session ended after the IdP came back")
			}
		},
	},
}

// refusedOverLocal: an IdP account whose email is a local account's cannot
// sign in, and the local account keeps its id, name and provider.
func refusedOverLocal(t *testing.T, x *scenarioRun, email, password string) {
	addUser(t, binPath, x.s.cfg.DataDir, email, "Local Person", localPassword)
	local := x.anon.login(t, email, localPassword).me(t)
	status, body, code, _ := x.browserSignIn(t, email, password)
	var e apiError
	_ = json.Unmarshal([]byte(body), &e)
	if status != http.StatusConflict || e.Error.Code != "account_link_required" {
		t.Fatalf("callback: %d %s, want 409 account_link_required", status, body)
	}
	if n := x.idp.codeRequests(code); n != 1 {
		t.Fatalf("the IdP saw the code %d times, want once", n)
	}
	if me := x.anon.login(t, email, localPassword).me(t); me.ID != local.ID || me.Name != "Local Person" || me.Provider != "local" {
		t.Fatalf("the local account changed: %+v, was %+v", me, local)
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

// The table lives between these markers in docs/auth-oidc.md.
const (
	scenarioDocs  = "docs/auth-oidc.md"
	scenarioBegin = "<!-- idp-scenarios:begin (generated by TestIdPScenarios; go test -run TestIdPScenarios ./test/integration/ -update) -->"
	scenarioEnd   = "<!-- idp-scenarios:end -->"
)

func renderScenarioTable(results map[[2]string]string) string {
	var b strings.Builder
	b.WriteString("| scenario |")
	for _, k := range idpKinds {
		b.WriteString(" " + k.name + " |")
	}
	b.WriteString("\n|---|")
	for range idpKinds {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, sc := range idpScenarios {
		b.WriteString("| " + sc.name + " |")
		for _, k := range idpKinds {
			r, ok := results[[2]string{sc.name, k.name}]
			if !ok {
				r = "not run"
			}
			b.WriteString(" " + r + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// checkScenarioDocs compares the table of this run with the one in the
// docs, or writes it there with -update (only when every row ran and
// none failed).
func checkScenarioDocs(t *testing.T, table string) {
	path := filepath.Join("..", "..", scenarioDocs)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, scenarioBegin), strings.Index(doc, scenarioEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q block", scenarioDocs, scenarioBegin, scenarioEnd)
	}
	current := strings.TrimPrefix(doc[i+len(scenarioBegin):j], "\n")
	if current == table {
		return
	}
	if strings.Contains(table, "not run") && !t.Failed() {
		t.Logf("part of the table ran (-run): %s not compared", scenarioDocs)
		return
	}
	if *updateDocs && !t.Failed() && !strings.Contains(table, "FAIL") && !strings.Contains(table, "not run") {
		doc = doc[:i+len(scenarioBegin)] + "\n" + table + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s updated", scenarioDocs)
		return
	}
	t.Errorf("%s (\"Tested against\") differs from this run; after a full passing run, rewrite it with -update.\nthis run:\n%s\ndocs:\n%s",
		scenarioDocs, table, current)
}
