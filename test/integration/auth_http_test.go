package integration

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// orgCarol is the organisation API's person in the http provider tests.
var orgCarol = orgAccount{email: "Carol@Org.example", password: orgPassword, id: "u-1", name: "Carol Org", department: "Archive"}

const orgPassword = "Org-Passw0rd-SECRET"

func TestHTTPProviderResilience(t *testing.T) {
	api := startOrgAPI(t, orgDefaultShape, orgOptions{ttl: 3600, accounts: []orgAccount{orgCarol}})
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: t.TempDir(), Env: append(api.env(""),
		"OCRBOX_AUTH_PROVIDERS=http,local",
		"EXTERNAL_AUTH_TIMEOUT=2s",
		"OCRBOX_PLUGINS_HTTP_MAP_EXTRA=user.department",
		"OCRBOX_AUTH_BREAKER_FAILURES=3",
		"OCRBOX_AUTH_BREAKER_OPEN=2s",
	)})
	anon := newClient(s)

	carol := anon.login(t, "carol@org.example", orgPassword)
	me := carol.me(t)
	if me.Name != "Carol Org" || me.Email != "carol@org.example" || me.Provider != "http" {
		t.Fatalf("user from the org API: %+v", me)
	}
	if r := anon.tryLogin(t, "carol@org.example", "wrong-password"); r.Status != http.StatusUnauthorized || r.apiError(t).Error.Code != "invalid_credentials" {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}

	t.Run("503 half the time: retries make every login succeed", func(t *testing.T) {
		api.setMode("flaky")
		for i := range 8 {
			if r := anon.tryLogin(t, "carol@org.example", orgPassword); r.Status != http.StatusOK {
				t.Fatalf("login %d: %d %s", i, r.Status, r.Body)
			}
		}
	})

	t.Run("fully down: sessions live on, new logins fail fast once the breaker opens", func(t *testing.T) {
		api.setMode("maintenance")
		var retried time.Duration // the slower of the logins that still reach the API
		for range 2 {             // each login makes up to 3 attempts; 3 failures open the breaker
			start := time.Now()
			if r := anon.tryLogin(t, "carol@org.example", orgPassword); r.Status != http.StatusServiceUnavailable {
				t.Fatalf("login while down: %d %s", r.Status, r.Body)
			}
			retried = max(retried, time.Since(start))
		}
		start := time.Now()
		r := anon.tryLogin(t, "carol@org.example", orgPassword)
		took := time.Since(start)
		if r.Status != http.StatusServiceUnavailable || r.apiError(t).Error.Code != "auth_unavailable" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("login with the breaker open: %d %s", r.Status, r.Body)
		}
		// Fail fast: no calls and no retry backoff, so well under a login
		// that still retried against the API (a ratio, not a wall-clock
		// limit, so a loaded machine does not fail it).
		if took > retried/2 {
			t.Fatalf("login with the breaker open took %s, a retried login %s: want under half", took, retried)
		}
		t.Logf("login refused in %s with the breaker open (a retried login took %s)", took, retried)
		if got := carol.me(t); got.Email != "carol@org.example" {
			t.Fatalf("existing session while the provider is down: %+v", got)
		}
	})

	t.Run("recovery", func(t *testing.T) {
		api.setMode("up")
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := anon.tryLogin(t, "carol@org.example", orgPassword)
			if r.Status == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no recovery: %d %s", r.Status, r.Body)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("local accounts keep working beside the external provider", func(t *testing.T) {
		addUser(t, binPath, s.cfg.DataDir, "dora@example.org", "Dora", "dora-password-1")
		if got := anon.login(t, "dora@example.org", "dora-password-1").me(t); got.Provider != "local" {
			t.Fatalf("local user: %+v", got)
		}
	})

	t.Run("no secret reaches the log", func(t *testing.T) {
		log := s.stderr.From(0)
		secrets := append([]string{orgPassword, "dora-password-1", carol.token}, api.secrets()...)
		for _, sec := range secrets {
			if strings.Contains(log, sec) {
				t.Errorf("the server log contains a secret (%.12s…)", sec)
			}
		}
	})
}

// TestHTTPProviderCannotTakeOverALocalAccount: the organisation's API
// vouching for an email does not make its person the local account with
// that email (issue 12: the account was taken over by email alone).
func TestHTTPProviderCannotTakeOverALocalAccount(t *testing.T) {
	api := startOrgAPI(t, orgDefaultShape, orgOptions{ttl: 3600, accounts: []orgAccount{orgCarol}})
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: t.TempDir(), Env: append(api.env(""),
		"OCRBOX_AUTH_PROVIDERS=local,http",
	)})
	addUser(t, binPath, s.cfg.DataDir, "carol@org.example", "Carol Local", "carol-local-Passw0rd")
	local := newClient(s).login(t, "carol@org.example", "carol-local-Passw0rd").me(t)
	r := newClient(s).tryLogin(t, "carol@org.example", orgPassword)
	if r.Status != http.StatusConflict || r.apiError(t).Error.Code != "account_link_required" {
		t.Fatalf("the org API's carol over the local account: %d %s, want 409 account_link_required", r.Status, r.Body)
	}
	if me := newClient(s).login(t, "carol@org.example", "carol-local-Passw0rd").me(t); me.ID != local.ID || me.Name != "Carol Local" || me.Provider != "local" {
		t.Fatalf("the local account changed: %+v", me)
	}
}

func TestProviderTokenRefresh(t *testing.T) {
	api := startOrgAPI(t, orgDefaultShape, orgOptions{ttl: 4, accounts: []orgAccount{orgCarol}})
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: t.TempDir(), Env: append(api.env(""),
		"OCRBOX_AUTH_PROVIDERS=http",
		"TOKEN_REFRESH_BUFFER=3s",
		// This test is about renewal, not the breaker: an open breaker
		// swallows a renewal attempt, and the next comes one backoff step
		// (40 s, then 80 s) later, past the deadline below (seen in CI).
		"OCRBOX_AUTH_BREAKER_FAILURES=1000",
	)})
	carol := newClient(s).login(t, "carol@org.example", orgPassword)
	renewRequests := func() int { n, _, _, _ := api.counts(); return n }
	// The provider token lives 4 s and is renewed 3 s before expiry, so
	// after 6 s the session is alive only thanks to the refresher.
	time.Sleep(6 * time.Second)
	if renewRequests() == 0 {
		t.Fatal("the refresher never renewed the provider token")
	}
	if r := carol.get(t, "/auth/me"); r.Status != http.StatusOK {
		t.Fatalf("session after renewals: %d %s", r.Status, r.Body)
	}
	// An outage longer than the token's lifetime does not sign anyone out
	// (auth.outage_grace): renewals fail with 502 for three lifetimes.
	api.setRenew("down")
	failedBefore := renewRequests()
	time.Sleep(12 * time.Second)
	if renewRequests() == failedBefore {
		t.Fatal("no renewal was tried during the outage")
	}
	if r := carol.get(t, "/auth/me"); r.Status != http.StatusOK {
		t.Fatalf("an outage of three token lifetimes signed carol out: %d %s", r.Status, r.Body)
	}
	// When the API answers that the refresh token is no good, the session
	// ends at once, not at the end of the grace.
	api.setRenew("refuse")
	// Within the refresher's backoff after the failed renewals (≤ 40 s here;
	// the rest is room for a loaded machine).
	deadline := time.Now().Add(75 * time.Second)
	for {
		r := carol.get(t, "/auth/me")
		if r.Status == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session outlived the refusal of its refresh token: %d", r.Status)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
