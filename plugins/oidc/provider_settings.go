package oidc

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
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
	// SettingPrompt is sent as the authorization request's prompt
	// parameter: "consent" makes IdPs that follow OIDC Core §11 strictly
	// (node-oidc-provider, Okta) grant offline_access, hence a refresh
	// token; empty sends none (Dex, Keycloak, Entra ID grant it anyway).
	SettingPrompt = "prompt"
	// SettingEndSession (default true) sends the browser to the IdP's
	// end_session_endpoint after logout, when the IdP advertises one, so
	// the IdP's own session ends too (RP-Initiated Logout).
	SettingEndSession = "end_session"
)

// promptValues are the prompt values of OIDC Core 3.1.2.1.
var promptValues = []string{"none", "login", "consent", "select_account"}

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
	prompt       string
	endSession   bool
}

// rawSettings are the Configure keys as sdk.DecodeSettings reads them: an
// unknown key fails, so a typo such as "insecure_skip_verfy" cannot silently
// fall back to a default. An empty value means the default.
type rawSettings struct {
	Issuer       string        `setting:"issuer"`
	ClientID     string        `setting:"client_id"`
	ClientSecret string        `setting:"client_secret,verbatim"` // a secret may have spaces
	Scopes       string        `setting:"scopes"`                 // spaces or commas
	DisplayName  string        `setting:"display_name"`
	EmailClaim   string        `setting:"email_claim"`
	NameClaim    string        `setting:"name_claim"`
	Timeout      time.Duration `setting:"timeout"`
	CAFile       string        `setting:"ca_file"`
	InsecureTLS  bool          `setting:"insecure_skip_verify"`
	Prompt       string        `setting:"prompt"`
	EndSession   bool          `setting:"end_session"`
}

// CheckSettings validates a [plugins.oidc] table as Configure would, short of
// reading ca_file: the host checks the configuration with it before it
// starts the plugin. Neither contacts the IdP.
func CheckSettings(m map[string]string) error {
	_, err := decodeSettings(m, false)
	return err
}

func parseSettings(m map[string]string) (settings, error) {
	return decodeSettings(m, true)
}

// decodeSettings validates m; readFiles false leaves ca_file unread.
func decodeSettings(m map[string]string, readFiles bool) (settings, error) {
	r := rawSettings{Timeout: defaultTimeout, EndSession: true}
	if err := sdk.DecodeSettings(m, &r); err != nil {
		return settings{}, err
	}
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	s := settings{
		issuer:       r.Issuer,
		clientID:     r.ClientID,
		clientSecret: r.ClientSecret,
		displayName:  or(r.DisplayName, defaultDisplayName),
		emailClaim:   or(r.EmailClaim, defaultEmailClaim),
		nameClaim:    or(r.NameClaim, defaultNameClaim),
		timeout:      r.Timeout,
		insecureTLS:  r.InsecureTLS,
		prompt:       strings.Join(strings.Fields(r.Prompt), " "),
		endSession:   r.EndSession,
	}
	for _, p := range strings.Fields(s.prompt) {
		if !slices.Contains(promptValues, p) {
			return s, fmt.Errorf("setting %q: %q is not one of %s (space-separated)", SettingPrompt, p, strings.Join(promptValues, ", "))
		}
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
	s.scopes = strings.FieldsFunc(or(r.Scopes, defaultScopes), func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t'
	})
	if !slices.Contains(s.scopes, "openid") {
		return s, fmt.Errorf("setting %q must include \"openid\"", SettingScopes)
	}
	if s.timeout <= 0 {
		return s, fmt.Errorf("setting %q: %q is not a positive duration such as \"10s\"", SettingTimeout, m[SettingTimeout])
	}
	if r.CAFile != "" && readFiles {
		pem, err := os.ReadFile(r.CAFile)
		if err != nil {
			return s, fmt.Errorf("setting %q: %w", SettingCAFile, err)
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return s, fmt.Errorf("setting %q: no PEM certificate in %s", SettingCAFile, r.CAFile)
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
