package ldapauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConfigureValidation(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	caPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caPEM, testCAPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	valid := map[string]string{SettingURL: "ldap://ldap.example.org", SettingBaseDN: "ou=people,dc=example,dc=org"}

	tests := []struct {
		name     string
		settings map[string]string
		wantErr  []string // each must appear; none means valid
	}{
		{"minimal", valid, nil},
		{"everything", with(valid, SettingURL, "ldaps://dc1.corp.example:3269", SettingCAFile, caPEM,
			SettingBindDN, "CN=svc-ocrbox,OU=Service Accounts,DC=corp,DC=example", SettingBindPassword, " spaced ",
			SettingUserFilter, "(&(objectClass=user)(sAMAccountName={username}))",
			SettingLookupFilter, "(&(objectClass=user)(mail={username}))",
			SettingEmailAttribute, "userPrincipalName", SettingNameAttribute, "cn",
			SettingExtraAttributes, "department, title,,memberOf", SettingTimeout, "3s",
			SettingDisplayName, "Corp account", SettingInsecureSkipVerify, "false"), nil},
		{"StartTLS", with(valid, SettingStartTLS, "true", SettingCAFile, caPEM), nil},
		{"IPv6 host", with(valid, SettingURL, "ldap://[::1]:10389/"), nil},
		{"nil settings", nil, []string{`"url" is required`, `"base_dn" is required`}},
		{"missing url", with(valid, SettingURL, ""), []string{`"url" is required`}},
		{"http url", with(valid, SettingURL, "http://ldap.example.org"), []string{`"url" must start with ldap:// or ldaps://`}},
		{"no host", with(valid, SettingURL, "ldap://"), []string{`"url" has no host`}},
		{"url with DN", with(valid, SettingURL, "ldap://h/dc=example,dc=org"), []string{`"url" must be only scheme://host[:port]`}},
		{"url with credentials", with(valid, SettingURL, "ldap://u:p@h"), []string{`"url" must be only`}},
		{"not a URL", with(valid, SettingURL, "ldap://h:port:x"), []string{`"url" is not a URL`}},
		{"StartTLS on ldaps", with(valid, SettingURL, "ldaps://h", SettingStartTLS, "true"), []string{`"start_tls" cannot be combined`}},
		{"bad bool", with(valid, SettingStartTLS, "yes please"), []string{`setting "start_tls": "yes please" is not true or false`}},
		{"bad insecure bool", with(valid, SettingURL, "ldaps://h", SettingInsecureSkipVerify, "maybe"), []string{`setting "insecure_skip_verify": "maybe" is not true or false`}},
		{"ca_file on plain ldap", with(valid, SettingCAFile, caPEM), []string{`plain ldap:// without "start_tls"`}},
		{"insecure on plain ldap", with(valid, SettingInsecureSkipVerify, "true"), []string{`plain ldap:// without "start_tls"`}},
		{"ca_file missing", with(valid, SettingURL, "ldaps://h", SettingCAFile, filepath.Join(dir, "nope.pem")), []string{`"ca_file" cannot be read`}},
		{"ca_file not PEM", with(valid, SettingURL, "ldaps://h", SettingCAFile, notPEM), []string{`"ca_file" holds no PEM certificate`}},
		{"bind_dn without password", with(valid, SettingBindDN, "cn=svc,dc=example,dc=org"), []string{`"bind_password" is required`}},
		{"password without bind_dn", with(valid, SettingBindPassword, "secret"), []string{`"bind_dn" is required`}},
		{"bad bind_dn", with(valid, SettingBindDN, "not a dn", SettingBindPassword, "secret"), []string{`"bind_dn" is not a DN`}},
		{"missing base_dn", with(valid, SettingBaseDN, ""), []string{`"base_dn" is required`}},
		{"bad base_dn", with(valid, SettingBaseDN, "people"), []string{`"base_dn" is not a DN`}},
		{"filter without placeholder", with(valid, SettingUserFilter, "(uid=ada)"), []string{`"user_filter" must contain {username}`, `"lookup_filter" must contain {username}`}},
		{"broken filter", with(valid, SettingUserFilter, "(uid={username}"), []string{`"user_filter" is not a valid LDAP filter`}},
		{"broken lookup filter", with(valid, SettingLookupFilter, "mail={username})("), []string{`"lookup_filter" is not a valid LDAP filter`}},
		{"bad email attribute", with(valid, SettingEmailAttribute, "mail)(x"), []string{`"email_attribute" is not an attribute name`}},
		{"bad name attribute", with(valid, SettingNameAttribute, "display name"), []string{`"name_attribute" is not an attribute name`}},
		{"bad extra attribute", with(valid, SettingExtraAttributes, "title, *"), []string{`"extra_attributes" has "*"`}},
		{"bad timeout", with(valid, SettingTimeout, "soon"), []string{`setting "timeout": "soon" is not a duration`}},
		{"zero timeout", with(valid, SettingTimeout, "0s"), []string{`"timeout" must be a positive duration`}},
		{"typo in a key", with(valid, "start_tsl", "true"), []string{`unknown setting "start_tsl" (did you mean "start_tls"?)`}},
		{"typo and a bad value at once", with(valid, "bind_passwd", "x", SettingURL, "http://h"),
			[]string{`unknown setting "bind_passwd" (did you mean "bind_password"?)`, `"url" must start with ldap://`}},
		{"several problems at once", map[string]string{SettingURL: "ftp://x", SettingTimeout: "-1s"},
			[]string{`"url" must start`, `"base_dn" is required`, `"timeout" must be`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New().Configure(t.Context(), tt.settings)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Configure = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Configure = nil, want errors %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Configure = %v\nwant it to contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows the bind password", err)
			}
		})
	}
}

func TestSettingsDefaults(t *testing.T) {
	c, err := parseSettings(map[string]string{SettingURL: "ldaps://dc.example.org", SettingBaseDN: "dc=example,dc=org",
		SettingExtraAttributes: "title, mail ,title"})
	if err != nil {
		t.Fatal(err)
	}
	if c.network != "dc.example.org:636" || !c.ldaps || c.tls == nil || c.tls.ServerName != "dc.example.org" || c.tls.InsecureSkipVerify {
		t.Fatalf("ldaps defaults: %+v", c)
	}
	if c.userFilter != DefaultUserFilter || c.lookupFilter != DefaultUserFilter || c.emailAttr != "mail" ||
		c.nameAttr != "displayName" || c.timeout != 10*time.Second || c.displayName != DefaultDisplayName {
		t.Fatalf("defaults: %+v", c)
	}
	if !slices.Equal(c.extraAttrs, []string{"title", "mail"}) {
		t.Fatalf("extra attributes = %q", c.extraAttrs)
	}
	if got := c.attributes(); !slices.Equal(got, []string{"mail", "displayName", "cn", "title"}) {
		t.Fatalf("search attributes = %q", got)
	}

	c, err = parseSettings(map[string]string{SettingURL: "ldap://dc.example.org", SettingBaseDN: "dc=example,dc=org"})
	if err != nil {
		t.Fatal(err)
	}
	if c.network != "dc.example.org:389" || c.ldaps || c.startTLS || c.tls != nil {
		t.Fatalf("ldap defaults: %+v", c)
	}
}

func TestExpandFilterEscapes(t *testing.T) {
	tests := map[string]string{
		"ada":             "(uid=ada)",
		"*":               `(uid=\2a)`,
		"*)(uid=*":        `(uid=\2a\29\28uid=\2a)`,
		`back\slash`:      `(uid=back\5cslash)`,
		"nul\x00":         `(uid=nul\00)`,
		"zoë":             `(uid=zo\c3\ab)`,
		"{username}":      "(uid={username})", // no second round of expansion
		"ada@example.org": "(uid=ada@example.org)",
	}
	for in, want := range tests {
		if got := expandFilter("(uid={username})", in); got != want {
			t.Errorf("expandFilter(%q) = %q, want %q", in, got, want)
		}
	}
}

// testCAPEM makes a self-signed CA certificate for the ca_file checks;
// nothing is verified against it.
func testCAPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
