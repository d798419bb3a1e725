package ldapauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Configure keys, as written in the [plugins.ldap] table of config.toml.
const (
	SettingURL                = "url"
	SettingStartTLS           = "start_tls"
	SettingCAFile             = "ca_file"
	SettingInsecureSkipVerify = "insecure_skip_verify"
	SettingBindDN             = "bind_dn"
	SettingBindPassword       = "bind_password"
	SettingBaseDN             = "base_dn"
	SettingUserFilter         = "user_filter"
	SettingLookupFilter       = "lookup_filter"
	SettingEmailAttribute     = "email_attribute"
	SettingNameAttribute      = "name_attribute"
	SettingExtraAttributes    = "extra_attributes"
	SettingTimeout            = "timeout"
	SettingDisplayName        = "display_name"
)

// Defaults of the optional settings.
const (
	DefaultUserFilter     = "(&(objectClass=inetOrgPerson)(|(uid={username})(mail={username})))"
	DefaultEmailAttribute = "mail"
	DefaultNameAttribute  = "displayName"
	DefaultTimeout        = 10 * time.Second
	DefaultDisplayName    = "Directory account"
)

// UsernamePlaceholder is replaced in user_filter and lookup_filter by the
// escaped username (or, for lookup_filter, the email address).
const UsernamePlaceholder = "{username}"

// fallbackNameAttribute names the user when name_attribute is empty.
const fallbackNameAttribute = "cn"

// rawSettings are the Configure keys as sdk.DecodeSettings reads them: an
// unknown key fails instead of silently dropping, say, TLS.
type rawSettings struct {
	URL                string        `setting:"url"`
	StartTLS           bool          `setting:"start_tls"`
	CAFile             string        `setting:"ca_file"`
	InsecureSkipVerify bool          `setting:"insecure_skip_verify"`
	BindDN             string        `setting:"bind_dn"`
	BindPassword       string        `setting:"bind_password,verbatim"` // may start or end with a space
	BaseDN             string        `setting:"base_dn"`
	UserFilter         string        `setting:"user_filter"`
	LookupFilter       string        `setting:"lookup_filter"`
	EmailAttribute     string        `setting:"email_attribute"`
	NameAttribute      string        `setting:"name_attribute"`
	ExtraAttributes    []string      `setting:"extra_attributes"`
	Timeout            time.Duration `setting:"timeout"`
	DisplayName        string        `setting:"display_name"`
}

// attributeName matches an attribute description: a name (RFC 4512
// descr) or a numeric OID.
var attributeName = regexp.MustCompile(`^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)$`)

// config is a validated set of settings; immutable once built.
type config struct {
	network  string      // "host:port"
	ldaps    bool        // TLS from the first byte
	startTLS bool        // StartTLS on a plain connection
	tls      *tls.Config // nil when neither

	bindDN, bindPassword string // empty: anonymous search

	baseDN       string
	userFilter   string
	lookupFilter string
	emailAttr    string
	nameAttr     string
	extraAttrs   []string
	timeout      time.Duration
	displayName  string
}

// CheckSettings validates a [plugins.ldap] table as Configure would, short
// of reading ca_file: the host checks the configuration with it before it
// starts the plugin. Neither contacts the directory.
func CheckSettings(settings map[string]string) error {
	_, err := decodeSettings(settings, false)
	return err
}

// parseSettings validates settings and reports every problem at once, each
// naming its key. It does not contact the directory: ocrbox must start
// while the directory is down.
func parseSettings(settings map[string]string) (*config, error) {
	return decodeSettings(settings, true)
}

// decodeSettings is parseSettings; readFiles false leaves ca_file unread.
func decodeSettings(settings map[string]string, readFiles bool) (*config, error) {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("setting %q "+format, append([]any{key}, args...)...))
	}
	r := rawSettings{Timeout: DefaultTimeout}
	if err := sdk.DecodeSettings(settings, &r); err != nil {
		errs = append(errs, err) // and go on: every problem at once
	}

	c := &config{
		baseDN:       r.BaseDN,
		bindDN:       r.BindDN,
		userFilter:   r.UserFilter,
		emailAttr:    r.EmailAttribute,
		nameAttr:     r.NameAttribute,
		timeout:      r.Timeout,
		displayName:  r.DisplayName,
		bindPassword: r.BindPassword,
	}

	var host string
	switch raw := r.URL; {
	case raw == "":
		bad(SettingURL, "is required (ldap://host:389 or ldaps://host:636)")
	default:
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			bad(SettingURL, "is not a URL: %v", err)
		case u.Scheme != "ldap" && u.Scheme != "ldaps":
			bad(SettingURL, "must start with ldap:// or ldaps://, not %q", u.Scheme+"://")
		case u.Hostname() == "":
			bad(SettingURL, "has no host")
		case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil:
			bad(SettingURL, "must be only scheme://host[:port]; set the search base in %q", SettingBaseDN)
		default:
			c.ldaps = u.Scheme == "ldaps"
			host = u.Hostname()
			port := u.Port()
			switch {
			case port != "":
			case c.ldaps:
				port = ldap.DefaultLdapsPort
			default:
				port = ldap.DefaultLdapPort
			}
			c.network = net.JoinHostPort(host, port)
		}
	}

	c.startTLS = r.StartTLS
	insecure := r.InsecureSkipVerify
	if c.startTLS && c.ldaps {
		bad(SettingStartTLS, "cannot be combined with an ldaps:// URL (already TLS)")
	}
	caFile := r.CAFile
	if c.ldaps || c.startTLS {
		// insecure_skip_verify is an explicit, documented opt-in for labs.
		c.tls = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure}
		if caFile != "" && readFiles {
			pool, err := loadCAFile(caFile)
			if err != nil {
				bad(SettingCAFile, "%v", err)
			}
			c.tls.RootCAs = pool
		}
	} else if c.network != "" && (caFile != "" || insecure) {
		bad(SettingURL, "is plain ldap:// without %q, so %q and %q would have no effect; use ldaps:// or start_tls = \"true\"",
			SettingStartTLS, SettingCAFile, SettingInsecureSkipVerify)
	}

	switch {
	case c.bindDN != "" && c.bindPassword == "":
		// An empty password would make an unauthenticated bind, which
		// servers accept without checking anything.
		bad(SettingBindPassword, "is required with %q", SettingBindDN)
	case c.bindDN == "" && c.bindPassword != "":
		bad(SettingBindDN, "is required with %q", SettingBindPassword)
	case c.bindDN != "":
		if _, err := ldap.ParseDN(c.bindDN); err != nil {
			bad(SettingBindDN, "is not a DN: %v", err)
		}
	}
	if c.baseDN == "" {
		bad(SettingBaseDN, "is required (e.g. ou=people,dc=example,dc=org)")
	} else if _, err := ldap.ParseDN(c.baseDN); err != nil {
		bad(SettingBaseDN, "is not a DN: %v", err)
	}

	if c.userFilter == "" {
		c.userFilter = DefaultUserFilter
	}
	c.lookupFilter = r.LookupFilter
	if c.lookupFilter == "" {
		c.lookupFilter = c.userFilter
	}
	for key, f := range map[string]string{SettingUserFilter: c.userFilter, SettingLookupFilter: c.lookupFilter} {
		if !strings.Contains(f, UsernamePlaceholder) {
			bad(key, "must contain %s", UsernamePlaceholder)
		} else if _, err := ldap.CompileFilter(expandFilter(f, "x")); err != nil {
			bad(key, "is not a valid LDAP filter: %v", err)
		}
	}

	if c.emailAttr == "" {
		c.emailAttr = DefaultEmailAttribute
	}
	if c.nameAttr == "" {
		c.nameAttr = DefaultNameAttribute
	}
	for key, a := range map[string]string{SettingEmailAttribute: c.emailAttr, SettingNameAttribute: c.nameAttr} {
		if !attributeName.MatchString(a) {
			bad(key, "is not an attribute name: %q", a)
		}
	}
	for _, a := range r.ExtraAttributes {
		switch {
		case !attributeName.MatchString(a):
			bad(SettingExtraAttributes, "has %q, which is not an attribute name", a)
		case !slices.Contains(c.extraAttrs, a):
			c.extraAttrs = append(c.extraAttrs, a)
		}
	}

	if c.timeout <= 0 {
		bad(SettingTimeout, "must be a positive duration such as \"10s\", not %q", settings[SettingTimeout])
	}
	if c.displayName == "" {
		c.displayName = DefaultDisplayName
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// loadCAFile reads a PEM bundle of trusted CA certificates.
func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("holds no PEM certificate: %s", path)
	}
	return pool, nil
}

// expandFilter puts the escaped value in place of every placeholder, so a
// username such as "*)(uid=*" matches literally and never widens the filter.
func expandFilter(filter, value string) string {
	return strings.ReplaceAll(filter, UsernamePlaceholder, ldap.EscapeFilter(value))
}

// attributes lists what a search asks for.
func (c *config) attributes() []string {
	out := []string{c.emailAttr, c.nameAttr, fallbackNameAttribute}
	for _, a := range c.extraAttrs {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
