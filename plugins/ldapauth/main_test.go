package ldapauth

import (
	"fmt"
	"maps"
	"os"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/plugins/sdk/sdktest"
	"github.com/ocrbox/ocrbox/test/ldapserver"
)

// Directory users shared by the tests; the outage tests start their own.
var (
	ada = ldapserver.User{UID: "ada", Password: "analytical engine", Mail: "Ada@Example.org",
		CN: "Ada Lovelace", DisplayName: "Countess of Lovelace",
		Attributes: map[string][]string{"title": {"Mathematician"}, "departmentNumber": {"R&D", "Engines"}}}
	grace = ldapserver.User{UID: "grace", Password: "cobol-1959", Mail: "grace@example.org", CN: "Grace Hopper"}
	zoe   = ldapserver.User{UID: "zoë", Password: "pässwörd ✓", Mail: "zoe@example.org", CN: "Zoë Ünïcode"}
	star  = ldapserver.User{UID: "star*user", Password: "star-pass", Mail: "star@example.org"}
	// An entry without mail can bind but has no ocrbox identity.
	nomail = ldapserver.User{UID: "nomail", Password: "nomail-pass"}
	// An entry without userPassword: no bind can succeed.
	nopass = ldapserver.User{UID: "nopass", Mail: "nopass@example.org"}
	// Two entries share one address.
	twin1 = ldapserver.User{UID: "twin1", Password: "twin-pass", Mail: "twin@example.org"}
	twin2 = ldapserver.User{UID: "twin2", Password: "twin-pass", Mail: "twin@example.org"}

	testUsers = []ldapserver.User{ada, grace, zoe, star, nomail, nopass, twin1, twin2}
)

// shared is the package's one slapd (with TLS), started by TestMain when
// slapd is installed.
var shared struct {
	srv *ldapserver.Server
	err error
}

func TestMain(m *testing.M) {
	if ldapserver.Installed() == nil {
		shared.srv, shared.err = ldapserver.New(ldapserver.Options{Users: testUsers, TLS: true})
	}
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "stop slapd:", err)
		}
	}
	os.Exit(code)
}

// sharedServer returns the shared slapd, skipping (or, under CI=true,
// failing) when slapd is not installed.
func sharedServer(t *testing.T) *ldapserver.Server {
	t.Helper()
	ldapserver.Require(t)
	if shared.err != nil {
		t.Fatalf("start shared slapd: %v", shared.err)
	}
	return shared.srv
}

// settingsFor is a working configuration for srv over plain ldap://,
// changed by the given key/value pairs (an empty value deletes the key).
func settingsFor(srv *ldapserver.Server, kv ...string) map[string]string {
	s := map[string]string{
		SettingURL:             srv.URL,
		SettingBindDN:          srv.ServiceDN,
		SettingBindPassword:    srv.ServicePassword,
		SettingBaseDN:          ldapserver.PeopleDN,
		SettingExtraAttributes: "title, departmentNumber",
		SettingTimeout:         "5s",
	}
	return with(s, kv...)
}

// with returns a copy of s changed by key/value pairs; "" deletes.
func with(s map[string]string, kv ...string) map[string]string {
	out := maps.Clone(s)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

// factory makes a configured provider, directly or behind gRPC.
type factory func(t *testing.T, settings map[string]string) sdk.AuthProvider

// direct is the Provider itself.
func direct(t *testing.T, settings map[string]string) sdk.AuthProvider {
	t.Helper()
	p := New()
	if err := p.Configure(t.Context(), settings); err != nil {
		t.Fatal(err)
	}
	return p
}

// overGRPC is the Provider behind go-plugin's real gRPC server and the
// SDK's adapters: what the host sees.
func overGRPC(t *testing.T, settings map[string]string) sdk.AuthProvider {
	t.Helper()
	ap := sdktest.DispenseAuth(t, New())
	if err := ap.Configure(t.Context(), settings); err != nil {
		t.Fatal(err)
	}
	return ap
}

// both runs f once against the Provider and once through gRPC.
func both(t *testing.T, f func(t *testing.T, newProvider factory)) {
	t.Run("direct", func(t *testing.T) { f(t, direct) })
	t.Run("grpc", func(t *testing.T) { f(t, overGRPC) })
}
