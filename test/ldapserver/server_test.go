package ldapserver

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/go-ldap/ldap/v3"
)

// One server checks the harness's promises: seeding, access rules, TLS,
// user changes and a restart that keeps the data.
func TestServer(t *testing.T) {
	ada := User{UID: "ada", Password: "analytical", Mail: "ada@example.org", CN: "Ada Lovelace",
		DisplayName: "Countess Ada", Attributes: map[string][]string{"title": {"Mathematician"}}}
	zoe := User{UID: "zoe", Password: "pässwörd", Mail: "zoe@example.org", CN: " Zoë Ünïcode"}
	s := Start(t, Options{Users: []User{ada, zoe}, TLS: true})

	search := func(t *testing.T, l *ldap.Conn, filter string) []*ldap.Entry {
		t.Helper()
		res, err := l.Search(ldap.NewSearchRequest(PeopleDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
			0, 0, false, filter, []string{"mail", "cn", "displayName", "title"}, nil))
		// slapd hides what one may not read as "no such object".
		if err != nil && !ldap.IsErrorAnyOf(err, ldap.LDAPResultNoSuchObject, ldap.LDAPResultInsufficientAccessRights) {
			t.Fatalf("search %s: %v", filter, err)
		}
		if res == nil {
			return nil
		}
		return res.Entries
	}
	dial := func(t *testing.T, url string, opts ...ldap.DialOpt) *ldap.Conn {
		t.Helper()
		l, err := ldap.DialURL(url, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}

	t.Run("service account searches people", func(t *testing.T) {
		l := dial(t, s.URL)
		if err := l.Bind(s.ServiceDN, s.ServicePassword); err != nil {
			t.Fatal(err)
		}
		got := search(t, l, "(uid=ada)")
		if len(got) != 1 || got[0].GetAttributeValue("mail") != "ada@example.org" ||
			got[0].GetAttributeValue("displayName") != "Countess Ada" || got[0].GetAttributeValue("title") != "Mathematician" {
			t.Fatalf("entries = %v", got)
		}
		if got := search(t, l, "(uid=zoe)"); len(got) != 1 || got[0].GetAttributeValue("cn") != " Zoë Ünïcode" {
			t.Fatalf("non-ASCII entry = %v", got)
		}
	})
	t.Run("users bind, wrong password refused", func(t *testing.T) {
		l := dial(t, s.URL)
		if err := l.Bind(zoe.DN(), zoe.Password); err != nil {
			t.Fatal(err)
		}
		err := l.Bind(ada.DN(), "wrong")
		if !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			t.Fatalf("wrong password bind = %v", err)
		}
	})
	t.Run("anonymous reads nothing", func(t *testing.T) {
		l := dial(t, s.URL)
		if got := search(t, l, "(objectClass=*)"); len(got) != 0 {
			t.Fatalf("anonymous saw %d entries", len(got))
		}
	})
	t.Run("ldaps and StartTLS with the CA", func(t *testing.T) {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(s.CAPEM) {
			t.Fatal("bad CA PEM")
		}
		cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
		if err := dial(t, s.LDAPSURL, ldap.DialWithTLSConfig(cfg)).Bind(ada.DN(), ada.Password); err != nil {
			t.Fatalf("ldaps bind: %v", err)
		}
		l := dial(t, s.URL)
		if err := l.StartTLS(cfg); err != nil {
			t.Fatalf("StartTLS: %v", err)
		}
		if err := l.Bind(ada.DN(), ada.Password); err != nil {
			t.Fatalf("bind after StartTLS: %v", err)
		}
	})
	t.Run("add, delete, restart", func(t *testing.T) {
		bob := User{UID: "bob", Password: "builder", Mail: "bob@example.org"}
		if err := s.AddUser(bob); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteUser("ada"); err != nil {
			t.Fatal(err)
		}
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
		if _, err := ldap.DialURL(s.URL); err == nil {
			t.Fatal("dial succeeded while stopped")
		}
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
		l := dial(t, s.URL)
		if err := l.Bind(bob.DN(), bob.Password); err != nil {
			t.Fatalf("added user after restart: %v", err)
		}
		err := l.Bind(ada.DN(), ada.Password)
		if !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			t.Fatalf("deleted user bind = %v", err)
		}
	})
	if err := s.Close(); err != nil || !errors.Is(s.Restart(), errClosed) {
		t.Fatalf("Close = %v; Restart after Close must fail", err)
	}
}
