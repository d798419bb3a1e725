package integration

import (
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var updateDocs = flag.Bool("update", false, "rewrite the 'Tested against' table of docs/auth-oidc.md from this run of TestIdPScenarios")

// TestIdPScenarios runs one table of sign-in scenarios against the real
// ocrbox binary with each provider: the real IdPs Dex and
// node-oidc-provider (test/idp) through the oidc provider, and a fake
// organisation auth API of a non-default shape through the http provider
// (orgNestedShape), which plays each scenario's equivalent: a password
// instead of the browser's code flow, renew tokens instead of refresh
// tokens, wrong basic-auth credentials instead of a wrong client secret.
// Each row starts its own provider and server, so rows run in parallel. A
// scenario a provider cannot play is n/a with the reason, in the table like
// the others. The table of results must equal the one in
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

// shortTokens: tokens live 5 s and ocrbox renews them 3 s before expiry
// (its refresher then looks every 1.5 s). Shorter leaves a loaded machine
// too little margin: the session ends the moment its tokens expire
// unrenewed, and Dex and ocrbox each round the lifetime down to seconds.
var shortTokens = idpSetup{tokenTTL: 5 * time.Second, env: []string{"OCRBOX_AUTH_TOKEN_REFRESH_BUFFER=3s"}}

type idpScenario struct {
	name  string
	na    map[string]string // provider kind → why the scenario cannot run there
	setup idpSetup
	run   func(t *testing.T, x *scenarioRun)
}

var idpScenarios = []idpScenario{
	{
		name: "sign-in (OIDC: browser code flow with PKCE S256; http: password), the code or password sent to the provider once, the person mapped from its answer",
		run: func(t *testing.T, x *scenarioRun) {
			c := x.signIn(t, adaEmail, adaPassword)
			if me := c.me(t); me.Email != adaEmail || me.Provider != x.idp.provider || me.Name != "Ada at the IdP" {
				t.Fatalf("user: %+v, want %s through %s named %q", me, adaEmail, x.idp.provider, "Ada at the IdP")
			}
		},
	},
	{
		name: "password sign-in beside local accounts (providers: the provider, then local): a wrong local password is 401, not 503; the provider's own password only where it takes passwords (OIDC: where discovery lists the password grant)",
		run: func(t *testing.T, x *scenarioRun) {
			addUser(t, binPath, x.s.cfg.DataDir, "lena@example.org", "Lena Local", localPassword)
			if me := x.anon.login(t, "lena@example.org", localPassword).me(t); me.Provider != "local" {
				t.Fatalf("local account: %+v", me)
			}
			if r := x.anon.tryLogin(t, "lena@example.org", "wrong-Passw0rd"); r.Status != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d %s, want 401", r.Status, r.Body)
			}
			r := x.anon.tryLogin(t, adaEmail, adaPassword)
			switch {
			case x.idp.passwordGrant && r.Status != http.StatusOK:
				t.Fatalf("the provider's password through ocrbox: %d %s, want 200", r.Status, r.Body)
			case x.idp.passwordGrant:
				if me := x.anon.login(t, adaEmail, adaPassword).me(t); me.Provider != x.idp.provider {
					t.Fatalf("signed in through %q, want %q", me.Provider, x.idp.provider)
				}
			case r.Status != http.StatusUnauthorized: // node-oidc-provider has no ROPC
				t.Fatalf("the IdP's password through ocrbox: %d %s, want 401 (never sent)", r.Status, r.Body)
			}
		},
	},
	{
		name:  "refresh token renewal (node-oidc-provider: prompt=consent; http: the API's renew tokens, rotated), session alive over several token lifetimes",
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
				t.Fatalf("%d renewals without a refresh token", n)
			}
			time.Sleep(time.Until(signedIn.Add(8 * time.Second)))
			if alive(t, c) {
				t.Fatal("the session outlived auth.session_without_refresh")
			}
		},
	},
	{
		name: "signing key rotation at the IdP, no ocrbox restart: renewed tokens under the new key verify",
		na: map[string]string{orgKindName: "the org API's tokens are opaque to ocrbox: no signing key to rotate " +
			"(its bearers are checked at the API's validate endpoint, where it has one)"},
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
		name: "logout revokes the provider's refresh token (OIDC: RFC 7009; http: revoke_endpoint)",
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
		name:  "email_verified=false (http: said so in the API's answer), email of a local account, link_by_verified_email lists the provider: refused 409 account_link_required, account unchanged",
		na:    map[string]string{"Dex": "Dex's password connector always asserts email_verified=true"},
		setup: idpSetup{linkByVerifiedEmail: true},
		run: func(t *testing.T, x *scenarioRun) {
			refusedOverLocal(t, x, unaEmail, unaPassword)
		},
	},
	{
		name: "email verified, email of a local account, linking off: refused 409 account_link_required, account unchanged",
		run: func(t *testing.T, x *scenarioRun) {
			refusedOverLocal(t, x, adaEmail, adaPassword)
		},
	},
	{
		name:  "email verified (OIDC: email_verified=true; http: the API says nothing, the organisation's word counts), email of a local account, link_by_verified_email lists the provider: joins the local account",
		setup: idpSetup{linkByVerifiedEmail: true},
		run: func(t *testing.T, x *scenarioRun) {
			addUser(t, binPath, x.s.cfg.DataDir, adaEmail, "Ada Local", localPassword)
			local := x.anon.login(t, adaEmail, localPassword).me(t)
			if me := x.signIn(t, adaEmail, adaPassword).me(t); me.ID != local.ID {
				t.Fatalf("the provider's Ada is user %s, want the local account %s", me.ID, local.ID)
			}
			if me := x.anon.login(t, adaEmail, localPassword).me(t); me.ID != local.ID {
				t.Fatalf("the local password now opens %s, want %s", me.ID, local.ID)
			}
		},
	},
	{
		name:  "wrong client secret (http: wrong basic-auth credentials for the API): 503 auth_misconfigured, the code or password sent once, breaker stays closed",
		setup: idpSetup{wrongSecret: true, env: []string{"OCRBOX_AUTH_BREAKER_FAILURES=1"}},
		run: func(t *testing.T, x *scenarioRun) {
			for range 2 {
				res := x.attempt(t, adaEmail, adaPassword)
				if res.status != http.StatusServiceUnavailable || res.code != "auth_misconfigured" {
					t.Fatalf("sign-in with a wrong client secret: %d %s, want 503 auth_misconfigured", res.status, res.body)
				}
				if res.sent != 1 {
					t.Fatalf("the provider saw the code or password %d times, want once", res.sent)
				}
			}
			r, err := http.Get(x.s.baseURL + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(r.Body)
			r.Body.Close()
			re := regexp.MustCompile(`ocrbox_auth_breaker_state\{provider="` + x.idp.provider + `"\} (\d)`)
			if m := re.FindSubmatch(metrics); m == nil || string(m[1]) != "0" {
				t.Fatalf("breaker state after two misconfigured sign-ins (breaker_failures=1): %q\n%s", m, tail(string(metrics), 2000))
			}
		},
	},
	{
		name:  "provider down for over two token lifetimes: the session stays, renewal resumes when it is back",
		setup: shortTokens,
		run: func(t *testing.T, x *scenarioRun) {
			c := x.signIn(t, adaEmail, adaPassword)
			x.waitRefreshes(t, 1, 10*time.Second)
			x.idp.setDown(t, true)
			time.Sleep(2*shortTokens.tokenTTL + time.Second)
			if !alive(t, c) {
				t.Fatal("the provider's outage ended the session")
			}
			x.idp.setDown(t, false)
			x.waitRefreshes(t, 1, 30*time.Second) // the refresher's backoff after one failure is 10 s
			if !alive(t, c) {
				t.Fatal("the session ended after the provider came back")
			}
		},
	},
	{
		name: "provider down past the tokens' expiry plus auth.outage_grace: the session lives through the grace, then ends",
		setup: idpSetup{tokenTTL: shortTokens.tokenTTL,
			env: append([]string{"OCRBOX_AUTH_OUTAGE_GRACE=" + outageGrace.String()}, shortTokens.env...)},
		run: func(t *testing.T, x *scenarioRun) {
			c := x.signIn(t, adaEmail, adaPassword)
			x.waitRefreshes(t, 1, 10*time.Second)
			down := time.Now()
			x.idp.setDown(t, true)
			// The tokens renewed last expire within one lifetime of now.
			time.Sleep(shortTokens.tokenTTL + time.Second)
			if !alive(t, c) {
				t.Fatal("the session ended with its tokens although the provider was down (auth.outage_grace)")
			}
			time.Sleep(time.Until(down.Add(shortTokens.tokenTTL + outageGrace + 2*time.Second)))
			if alive(t, c) {
				t.Fatal("the session outlived its tokens' expiry plus auth.outage_grace")
			}
		},
	},
}

// outageGrace is auth.outage_grace where a scenario waits it out.
const outageGrace = 6 * time.Second

// refusedOverLocal: a provider's account whose email is a local account's
// cannot sign in, and the local account keeps its id, name and provider.
func refusedOverLocal(t *testing.T, x *scenarioRun, email, password string) {
	addUser(t, binPath, x.s.cfg.DataDir, email, "Local Person", localPassword)
	local := x.anon.login(t, email, localPassword).me(t)
	res := x.attempt(t, email, password)
	if res.status != http.StatusConflict || res.code != "account_link_required" {
		t.Fatalf("sign-in: %d %s, want 409 account_link_required", res.status, res.body)
	}
	if res.sent != 1 {
		t.Fatalf("the provider saw the code or password %d times, want once", res.sent)
	}
	if me := x.anon.login(t, email, localPassword).me(t); me.ID != local.ID || me.Name != "Local Person" || me.Provider != "local" {
		t.Fatalf("the local account changed: %+v, was %+v", me, local)
	}
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
