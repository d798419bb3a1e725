package oidc

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Configure keys. Only SettingIssuer and SettingClientID are required.
const (
	// SettingIssuer is the issuer URL exactly as the IdP writes it in its
	// tokens' "iss" (discovery is at issuer + /.well-known/openid-configuration).
	SettingIssuer = "issuer"
	// SettingClientID is the OAuth2 client registered for ocrbox; it is also
	// the audience ValidateToken requires.
	SettingClientID = "client_id"
	// SettingClientSecret is the client's secret; empty for a public client.
	SettingClientSecret = "client_secret"
	// SettingScopes are requested scopes, separated by spaces or commas.
	// Must include "openid"; "offline_access" asks for refresh tokens.
	SettingScopes = "scopes"
	// SettingDisplayName labels the "Sign in with …" button.
	SettingDisplayName = "display_name"
	// SettingEmailClaim and SettingNameClaim name the claims holding the
	// user's email (the ocrbox user id) and display name.
	SettingEmailClaim = "email_claim"
	SettingNameClaim  = "name_claim"
	// SettingTimeout bounds every call to the IdP (Go duration).
	SettingTimeout = "timeout"
	// SettingCAFile is a PEM bundle trusted in addition to the system roots,
	// for an IdP behind a private CA.
	SettingCAFile = "ca_file"
	// SettingInsecureSkipVerify turns TLS certificate checks off. For tests
	// only: anyone on the path can then impersonate the IdP.
	SettingInsecureSkipVerify = "insecure_skip_verify"
)

const (
	defaultScopes      = "openid email profile offline_access"
	defaultDisplayName = "Single sign-on"
	defaultEmailClaim  = "email"
	defaultNameClaim   = "name"
	defaultTimeout     = 10 * time.Second
)

// settings are the parsed, validated Configure settings.
type settings struct {
	issuer       string
	clientID     string
	clientSecret string
	scopes       []string
	displayName  string
	emailClaim   string
	nameClaim    string
	timeout      time.Duration
	roots        *x509.CertPool // nil: system roots
	insecureTLS  bool
}

// knownSettings are the keys Configure accepts. Any other key fails, so a
// typo such as "insecure_skip_verfy" cannot silently fall back to a default.
var knownSettings = []string{
	SettingIssuer, SettingClientID, SettingClientSecret, SettingScopes, SettingDisplayName,
	SettingEmailClaim, SettingNameClaim, SettingTimeout, SettingCAFile, SettingInsecureSkipVerify,
}

func parseSettings(m map[string]string) (settings, error) {
	var unknown []string
	for k := range m {
		if !slices.Contains(knownSettings, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return settings{}, fmt.Errorf("unknown setting %q (known: %s)", unknown[0], strings.Join(knownSettings, ", "))
	}
	get := func(key, def string) string {
		if v := strings.TrimSpace(m[key]); v != "" {
			return v
		}
		return def
	}
	s := settings{
		issuer:       get(SettingIssuer, ""),
		clientID:     get(SettingClientID, ""),
		clientSecret: m[SettingClientSecret], // verbatim: a secret may have spaces
		displayName:  get(SettingDisplayName, defaultDisplayName),
		emailClaim:   get(SettingEmailClaim, defaultEmailClaim),
		nameClaim:    get(SettingNameClaim, defaultNameClaim),
		timeout:      defaultTimeout,
	}
	if s.issuer == "" {
		return s, fmt.Errorf("setting %q is required", SettingIssuer)
	}
	u, err := url.Parse(s.issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return s, fmt.Errorf("setting %q: %q is not an http(s) URL without query", SettingIssuer, s.issuer)
	}
	if s.clientID == "" {
		return s, fmt.Errorf("setting %q is required", SettingClientID)
	}
	s.scopes = strings.FieldsFunc(get(SettingScopes, defaultScopes), func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t'
	})
	if !slices.Contains(s.scopes, "openid") {
		return s, fmt.Errorf("setting %q must include \"openid\"", SettingScopes)
	}
	if v := get(SettingTimeout, ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return s, fmt.Errorf("setting %q: %q is not a positive duration such as \"10s\"", SettingTimeout, v)
		}
		s.timeout = d
	}
	if v := get(SettingInsecureSkipVerify, ""); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return s, fmt.Errorf("setting %q: %q is not true or false", SettingInsecureSkipVerify, v)
		}
		s.insecureTLS = b
	}
	if path := get(SettingCAFile, ""); path != "" {
		pem, err := os.ReadFile(path)
		if err != nil {
			return s, fmt.Errorf("setting %q: %w", SettingCAFile, err)
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return s, fmt.Errorf("setting %q: no PEM certificate in %s", SettingCAFile, path)
		}
		s.roots = roots
	}
	return s, nil
}

// httpClient is the one client for every request to the IdP. Its timeout
// also bounds background JWKS fetches, which run without a caller's ctx.
func (s settings) httpClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{
		MinVersion:         tls.VersionTLS12,
		RootCAs:            s.roots,
		InsecureSkipVerify: s.insecureTLS, //nolint:gosec // opt-in setting, documented as test-only
	}
	return &http.Client{Transport: tr, Timeout: s.timeout}
}
