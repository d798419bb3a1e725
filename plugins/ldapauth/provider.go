// Package ldapauth is the built-in "ldap" sdk.AuthProvider: it signs users
// in against an LDAP directory (OpenLDAP, Active Directory, 389-ds, …) by
// searching for the user's entry with a service account and then binding as
// that entry with the user's password. It issues no tokens; ocrbox issues
// the session.
//
// Settings (the [plugins.ldap] table; all values are strings):
//
//	url                   ldap://host:389 or ldaps://host:636 (required)
//	start_tls             "true" to upgrade ldap:// with StartTLS
//	ca_file               PEM bundle of CAs to trust (default: system roots)
//	insecure_skip_verify  "true" skips certificate checks (labs only)
//	bind_dn, bind_password  service account for the search; empty = anonymous
//	base_dn               where users live (required)
//	user_filter           finds the login's entry; {username} is replaced by
//	                      the escaped login name (DefaultUserFilter)
//	lookup_filter         finds an entry by email for LookupUser
//	                      (default: user_filter)
//	email_attribute       "mail"; the user's ocrbox identity, required on the entry
//	name_attribute        "displayName", falling back to "cn"
//	extra_attributes      comma list copied into UserInfo.Extra
//	timeout               "10s" per call (connect, TLS, binds, search)
//	display_name          "Directory account", shown on the login page
//
// Serve it with sdk.ServeAuth(ldapauth.New()). See docs/auth-ldap.md.
package ldapauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/go-ldap/ldap/v3"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Name is the provider's name in config and in ProviderInfo.
const Name = "ldap"

// Version is reported in ProviderInfo.
const Version = "1.0.0"

// maxUsernameBytes bounds what is put into a filter; no directory has
// longer login names or email addresses.
const maxUsernameBytes = 256

// extraDNKey is the UserInfo.Extra key holding the entry's DN.
const extraDNKey = "dn"

// Provider is the "ldap" sdk.AuthProvider. It is safe for concurrent use;
// Configure may be called again at any time.
type Provider struct {
	sdk.UnimplementedAuth // no tokens, no browser flow
	cfg                   atomic.Pointer[config]
}

// New returns an unconfigured Provider; Configure must be called before
// Authenticate and LookupUser.
func New() *Provider {
	return &Provider{}
}

// Configure validates the settings (see the package comment) and reports
// every problem, each naming its key. It does not contact the directory,
// so ocrbox starts even while the directory is down.
func (p *Provider) Configure(_ context.Context, settings map[string]string) error {
	c, err := parseSettings(settings)
	if err != nil {
		return fmt.Errorf("configure %s auth: %w", Name, err)
	}
	p.cfg.Store(c)
	return nil
}

// Info describes the provider: password sign-in only.
func (p *Provider) Info(context.Context) (*sdk.ProviderInfo, error) {
	info := &sdk.ProviderInfo{Name: Name, Version: Version, SupportsPassword: true, DisplayName: DefaultDisplayName}
	if c := p.cfg.Load(); c != nil {
		info.DisplayName = c.displayName
	}
	return info, nil
}

// Authenticate finds the entry matching username (a uid or an email with
// the default filter) and binds as it with password.
//
// Errors wrap sdk.ErrInvalidCredentials for an empty password, no or more
// than one matching entry, a password the directory rejects and an entry
// without an email; sdk.ErrMisconfigured when the directory refuses the
// service account (bind_dn, bind_password); and sdk.ErrUnavailable when it
// cannot be reached in time or refuses TLS. Messages never hold the
// password.
func (p *Provider) Authenticate(ctx context.Context, username, password string) (*sdk.AuthenticateResponse, error) {
	c := p.cfg.Load()
	if c == nil {
		return nil, errNotConfigured
	}
	u, err := c.authenticate(ctx, strings.TrimSpace(username), password)
	if err != nil {
		return nil, fmt.Errorf("%s auth: authenticate: %w", Name, err)
	}
	return &sdk.AuthenticateResponse{User: u}, nil
}

func (c *config) authenticate(ctx context.Context, username, password string) (*sdk.UserInfo, error) {
	switch {
	case username == "":
		return nil, invalid("empty username")
	case len(username) > maxUsernameBytes:
		return nil, invalid("username longer than %d bytes", maxUsernameBytes)
	case password == "":
		// Refused before any bind: see conn.bindUser.
		return nil, invalid("empty password")
	}
	cn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer cn.close()
	entries, truncated, err := cn.search(c, expandFilter(c.userFilter, username), 2)
	switch {
	case err != nil:
		return nil, err
	case len(entries) == 0:
		cn.decoyBind(c, password)
		return nil, invalid("no entry matches the username")
	case len(entries) > 1 || truncated:
		cn.decoyBind(c, password)
		// Log-safe: says what is wrong without naming the entries.
		return nil, invalid("the username matches more than one entry; make %s stricter", SettingUserFilter)
	}
	if err := cn.bindUser(entries[0].DN, password); err != nil {
		return nil, err
	}
	return c.userInfo(entries[0])
}

// LookupUser finds the entry whose email is subject (as Authenticate
// reported it). A missing entry, or one no longer matching lookup_filter
// (e.g. disabled), wraps sdk.ErrUserNotFound, and the host ends the user's
// sessions; an unreachable directory wraps sdk.ErrUnavailable (the host
// keeps sessions for auth.outage_grace), a refused service account
// sdk.ErrMisconfigured.
func (p *Provider) LookupUser(ctx context.Context, subject string) (*sdk.UserInfo, error) {
	c := p.cfg.Load()
	if c == nil {
		return nil, errNotConfigured
	}
	u, err := c.lookup(ctx, strings.ToLower(strings.TrimSpace(subject)))
	if err != nil {
		return nil, fmt.Errorf("%s auth: look up user: %w", Name, err)
	}
	return u, nil
}

func (c *config) lookup(ctx context.Context, subject string) (*sdk.UserInfo, error) {
	if subject == "" || len(subject) > maxUsernameBytes {
		return nil, sdk.ErrUserNotFound
	}
	cn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer cn.close()
	// The filter may also match other entries (say, a uid equal to this
	// address); keep those whose email is the subject.
	entries, truncated, err := cn.search(c, expandFilter(c.lookupFilter, subject), 3)
	if err != nil {
		return nil, err
	}
	var found []*sdk.UserInfo
	for _, e := range entries {
		if u, err := c.userInfo(e); err == nil && u.GetEmail() == subject {
			found = append(found, u)
		}
	}
	switch {
	case len(found) == 1 && !truncated:
		return found[0], nil
	case len(found) == 0 && !truncated:
		return nil, sdk.ErrUserNotFound
	default:
		// Two entries claim the address: which one signed in is unknown,
		// so the sessions must not go on.
		return nil, fmt.Errorf("%w: the email matches more than one entry", sdk.ErrUserNotFound)
	}
}

// userInfo maps an entry to the user ocrbox knows: the email (lower-cased)
// is the subject and identity, so an entry without one cannot sign in.
func (c *config) userInfo(e *ldap.Entry) (*sdk.UserInfo, error) {
	email := strings.ToLower(strings.TrimSpace(e.GetAttributeValue(c.emailAttr)))
	if email == "" {
		return nil, invalid("the entry has no %s attribute", c.emailAttr)
	}
	name := strings.TrimSpace(e.GetAttributeValue(c.nameAttr))
	if name == "" {
		name = strings.TrimSpace(e.GetAttributeValue(fallbackNameAttribute))
	}
	extra := map[string]string{extraDNKey: e.DN}
	for _, a := range c.extraAttrs {
		if vs := e.GetAttributeValues(a); len(vs) > 0 {
			extra[a] = strings.Join(vs, "; ")
		}
	}
	return &sdk.UserInfo{Subject: email, Email: email, Name: name, Extra: extra}, nil
}

// invalid is a log-safe ErrInvalidCredentials with the reason.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sdk.ErrInvalidCredentials}, args...)...)
}

var errNotConfigured = errors.New(Name + " auth: not configured")

var _ sdk.AuthProvider = (*Provider)(nil)
