package integration

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/test/ldapserver"
)

// TestLDAPSignIn signs in through a real slapd over ldaps, via the ldap
// provider plugin inside the real binary.
func TestLDAPSignIn(t *testing.T) {
	dir := ldapserver.Start(t, ldapserver.Options{TLS: true, Users: []ldapserver.User{
		{UID: "erin", Password: "erin-Passw0rd", Mail: "erin@example.org", CN: "Erin Example", Surname: "Example", DisplayName: "Erin E."},
		{UID: "frank", Password: "frank-Passw0rd", Mail: "frank@example.org", CN: "Frank Example", Surname: "Example"},
		// The directory has an entry with the mail of a local account.
		{UID: "gina", Password: "gina-ldap-Passw0rd", Mail: "gina@example.org", CN: "Gina Directory", Surname: "Directory"},
	}})
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: t.TempDir(), Env: []string{
		"OCRBOX_AUTH_PROVIDERS=ldap,local",
		"OCRBOX_PLUGINS_LDAP_URL=" + dir.LDAPSURL,
		"OCRBOX_PLUGINS_LDAP_CA_FILE=" + dir.CAFile,
		"OCRBOX_PLUGINS_LDAP_BIND_DN=" + dir.ServiceDN,
		"OCRBOX_PLUGINS_LDAP_BIND_PASSWORD=" + dir.ServicePassword,
		"OCRBOX_PLUGINS_LDAP_BASE_DN=" + ldapserver.PeopleDN,
	}})
	anon := newClient(s)
	erin := anon.login(t, "erin", "erin-Passw0rd")
	if me := erin.me(t); me.Email != "erin@example.org" || me.Name != "Erin E." || me.Provider != "ldap" {
		t.Fatalf("LDAP user: %+v", me)
	}
	if me := anon.login(t, "FRANK@example.org", "frank-Passw0rd").me(t); me.Name != "Frank Example" {
		t.Fatalf("login by mail, name from cn: %+v", me)
	}
	for _, c := range []struct{ user, pass string }{
		{"erin", "wrong"}, {"nobody", "erin-Passw0rd"}, {"*)(uid=*", "erin-Passw0rd"},
	} {
		r := anon.tryLogin(t, c.user, c.pass)
		if r.Status != http.StatusUnauthorized || r.apiError(t).Error.Code != "invalid_credentials" {
			t.Fatalf("%q/%q: %d %s", c.user, c.pass, r.Status, r.Body)
		}
	}
	// A directory entry does not become the local account with its mail
	// (auth.link_by_verified_email does not list ldap): 409 until linked.
	addUser(t, binPath, s.cfg.DataDir, "gina@example.org", "Gina Local", "gina-local-Passw0rd")
	local := anon.login(t, "gina@example.org", "gina-local-Passw0rd").me(t)
	if r := anon.tryLogin(t, "gina", "gina-ldap-Passw0rd"); r.Status != http.StatusConflict || r.apiError(t).Error.Code != "account_link_required" {
		t.Fatalf("the directory's gina signing in over the local account: %d %s, want 409 account_link_required", r.Status, r.Body)
	}
	if again := anon.login(t, "gina@example.org", "gina-local-Passw0rd").me(t); again.ID != local.ID || again.Name != "Gina Local" {
		t.Fatalf("the local account changed: %+v", again)
	}
	// A person removed from the directory loses their ocrbox session.
	if err := dir.DeleteUser("erin"); err != nil {
		t.Fatal(err)
	}
	if r := erin.get(t, "/auth/me"); r.Status != http.StatusUnauthorized {
		t.Fatalf("session of a user deleted from the directory: %d", r.Status)
	}
	if strings.Contains(s.stderr.From(0), "erin-Passw0rd") || strings.Contains(s.stderr.From(0), dir.ServicePassword) {
		t.Fatal("a password reached the server log")
	}
}

// TestLDAPSessionsOutliveOutagesNotDeletions: an LDAP session is re-checked
// against the real directory (auth.user_recheck_interval; 0 here, every
// request). While the directory cannot be reached the session keeps working
// for auth.outage_grace after the directory last confirmed the account;
// when the directory answers that the account is gone, the session ends at
// the next check (issue 12: "Same for OIDC and LDAP (account re-check)").
func TestLDAPSessionsOutliveOutagesNotDeletions(t *testing.T) {
	const grace = 8 * time.Second
	hana := ldapserver.User{UID: "hana", Password: "hana-Passw0rd", Mail: "hana@example.org", CN: "Hana Example", Surname: "Example"}
	ivan := ldapserver.User{UID: "ivan", Password: "ivan-Passw0rd", Mail: "ivan@example.org", CN: "Ivan Example", Surname: "Example"}
	dir := ldapserver.Start(t, ldapserver.Options{Users: []ldapserver.User{hana, ivan}})
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: t.TempDir(), Env: []string{
		"OCRBOX_AUTH_PROVIDERS=ldap",
		"OCRBOX_PLUGINS_LDAP_URL=" + dir.URL,
		"OCRBOX_PLUGINS_LDAP_BIND_DN=" + dir.ServiceDN,
		"OCRBOX_PLUGINS_LDAP_BIND_PASSWORD=" + dir.ServicePassword,
		"OCRBOX_PLUGINS_LDAP_BASE_DN=" + ldapserver.PeopleDN,
		"OCRBOX_PLUGINS_LDAP_TIMEOUT=2s",
		"OCRBOX_AUTH_OUTAGE_GRACE=" + grace.String(),
		// The breaker opens during the outages; after one a probe goes
		// through within a second, so checks resume promptly.
		"OCRBOX_AUTH_BREAKER_OPEN=1s",
	}})
	anon := newClient(s)
	hanaC := anon.login(t, hana.UID, hana.Password)
	ivanC := anon.login(t, ivan.UID, ivan.Password)
	stop := func() {
		t.Helper()
		if err := dir.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	restart := func() {
		t.Helper()
		if err := dir.Restart(); err != nil {
			t.Fatal(err)
		}
		// Back once a sign-in gets through (the breaker closed again); the
		// sign-in also confirms ivan's account.
		deadline := time.Now().Add(20 * time.Second)
		for anon.tryLogin(t, ivan.UID, ivan.Password).Status != http.StatusOK {
			if time.Now().After(deadline) {
				t.Fatal("no sign-in 20 s after the directory came back")
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	// An outage shorter than the grace: sessions keep working, sign-ins
	// say the provider is unavailable, not that the password is wrong.
	stop()
	stopped := time.Now()
	if r := anon.tryLogin(t, hana.UID, hana.Password); r.Status != http.StatusServiceUnavailable || r.apiError(t).Error.Code != "auth_unavailable" {
		t.Fatalf("sign-in while the directory is down: %d %s, want 503 auth_unavailable", r.Status, r.Body)
	}
	for time.Since(stopped) < grace/2 {
		if !alive(t, hanaC) || !alive(t, ivanC) {
			t.Fatalf("%s into the directory's outage (auth.outage_grace %s) a session ended", time.Since(stopped).Round(time.Millisecond), grace)
		}
		time.Sleep(500 * time.Millisecond)
	}
	restart()

	// The directory answers that hana is gone: her session ends at the
	// next check; ivan's goes on.
	if err := dir.DeleteUser(hana.UID); err != nil {
		t.Fatal(err)
	}
	if alive(t, hanaC) {
		t.Fatal("the session of an account deleted from the directory goes on")
	}
	if !alive(t, ivanC) {
		t.Fatal("ivan's session ended with hana's")
	}

	// An outage longer than the grace: the session lives through the grace
	// from the directory's last confirmation, then ends.
	confirmed := time.Now()
	if !alive(t, ivanC) { // a check the directory answers
		t.Fatal("ivan's session ended before the second outage")
	}
	stop()
	time.Sleep(time.Until(confirmed.Add(grace - 2*time.Second)))
	if !alive(t, ivanC) {
		t.Fatalf("the session ended %s after the directory last confirmed it, within auth.outage_grace (%s)",
			time.Since(confirmed).Round(time.Millisecond), grace)
	}
	time.Sleep(time.Until(confirmed.Add(grace + 2*time.Second)))
	if alive(t, ivanC) {
		t.Fatalf("the session outlived auth.outage_grace (%s) without the directory confirming the account", grace)
	}
	log := s.stderr.From(0)
	for _, want := range []string{"account no longer exists at its provider", "could not confirm the account for longer than auth.outage_grace"} {
		if !strings.Contains(log, want) {
			t.Errorf("the server log does not say why a session ended (%q)", want)
		}
	}
	for _, secret := range []string{hana.Password, ivan.Password, dir.ServicePassword} {
		if strings.Contains(log, secret) {
			t.Error("a password reached the server log")
		}
	}
	// Back again, ivan signs in anew.
	restart()
}
