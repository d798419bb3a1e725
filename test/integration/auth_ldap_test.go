package integration

import (
	"net/http"
	"strings"
	"testing"

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
