package httpauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Setting keys, as in the [plugins.http] table of config.toml.
const (
	keyAPIURL         = "external_auth_api_url"
	keyLoginEndpoint  = "external_auth_endpoint"
	keyTimeout        = "external_auth_timeout"
	keyValidate       = "validate_endpoint"
	keyValidateMethod = "validate_method"
	keyRefresh        = "refresh_endpoint"
	keyUserinfo       = "userinfo_endpoint"
	keyRevoke         = "revoke_endpoint"
	keyLookup         = "lookup_endpoint"
	keyUsernameField  = "username_field"
	keyPasswordField  = "password_field"
	keyDisplayName    = "display_name"
	keyInsecureTLS    = "tls_insecure_skip_verify"
	keyCAFile         = "ca_file"
	keyMapAccess      = "map_access_token"
	keyMapID          = "map_id_token"
	keyMapRefresh     = "map_refresh_token"
	keyMapExpiresIn   = "map_expires_in"
	keyMapEmail       = "map_email"
	keyMapName        = "map_name"
	keyMapSubject     = "map_subject"
	keyMapExtra       = "map_extra"
	keyRefreshField   = "refresh_field"
	keyValidateField  = "validate_field"
	keyRevokeField    = "revoke_field"
	keyUIEmail        = "map_userinfo_email"
	keyUIName         = "map_userinfo_name"
	keyUISubject      = "map_userinfo_subject"
)

// settings are the [plugins.http] keys, decoded by sdk.DecodeSettings. A key
// left out keeps the default defaultSettings gives it. An empty value
// switches an optional endpoint or response field off; for the other keys
// (blankIsDefault) it means the default.
type settings struct {
	APIURL         string `setting:"external_auth_api_url"`
	LoginEndpoint  string `setting:"external_auth_endpoint"`
	Timeout        string `setting:"external_auth_timeout"` // a duration, or seconds (the original variable's form)
	Validate       string `setting:"validate_endpoint"`
	ValidateMethod string `setting:"validate_method"`
	Refresh        string `setting:"refresh_endpoint"`
	Userinfo       string `setting:"userinfo_endpoint"`
	Revoke         string `setting:"revoke_endpoint"`
	Lookup         string `setting:"lookup_endpoint"`
	UsernameField  string `setting:"username_field"`
	PasswordField  string `setting:"password_field"`
	DisplayName    string `setting:"display_name"`
	InsecureTLS    bool   `setting:"tls_insecure_skip_verify"`
	CAFile         string `setting:"ca_file"`
	MapAccess      string `setting:"map_access_token"`
	MapID          string `setting:"map_id_token"`
	MapRefresh     string `setting:"map_refresh_token"`
	MapExpiresIn   string `setting:"map_expires_in"`
	MapEmail       string `setting:"map_email"`
	MapName        string `setting:"map_name"`
	MapSubject     string `setting:"map_subject"`
	MapExtra       string `setting:"map_extra"`
	// Request field names of the other endpoints' JSON bodies.
	RefreshField  string `setting:"refresh_field"`
	ValidateField string `setting:"validate_field"`
	RevokeField   string `setting:"revoke_field"`
	// Where userinfo answers keep the person, when not where the login
	// answer does (empty: the map_* path).
	UIEmail   string `setting:"map_userinfo_email"`
	UIName    string `setting:"map_userinfo_name"`
	UISubject string `setting:"map_userinfo_subject"`
}

func defaultSettings() settings {
	return settings{
		LoginEndpoint: "/auth/login", Timeout: "10s", Validate: "/auth/validate", ValidateMethod: "GET",
		Refresh: "/auth/refresh", Userinfo: "/auth/userinfo", UsernameField: "username", PasswordField: "password",
		DisplayName: "Organisation account", MapAccess: "access_token", MapID: "id_token", MapRefresh: "refresh_token",
		MapExpiresIn: "expires_in", MapEmail: "user.email", MapName: "user.name", MapSubject: "user.id",
		RefreshField: "refresh_token", ValidateField: "token", RevokeField: "token",
	}
}

// blankIsDefault points at the fields that cannot be switched off: an empty
// value gives them their default back.
func (s *settings) blankIsDefault() []*string {
	return []*string{&s.LoginEndpoint, &s.Timeout, &s.ValidateMethod, &s.UsernameField, &s.PasswordField,
		&s.DisplayName, &s.MapAccess, &s.MapEmail, &s.RefreshField, &s.ValidateField, &s.RevokeField}
}

// decodeSettings decodes m over the defaults; unknown keys and values of the
// wrong type are refused.
func decodeSettings(m map[string]string) (settings, error) {
	s, def := defaultSettings(), defaultSettings()
	if err := sdk.DecodeSettings(m, &s); err != nil {
		return settings{}, err
	}
	for i, v := range s.blankIsDefault() {
		if *v == "" {
			*v = *def.blankIsDefault()[i]
		}
	}
	return s, nil
}

// CheckSettings validates a [plugins.http] table as Configure would, short of
// reading ca_file: the host checks the configuration with it before it
// starts the plugin.
func CheckSettings(m map[string]string) error {
	_, err := parseConfigFiles(m, false)
	return err
}

// config is the parsed settings. An empty endpoint URL means the API has no
// such endpoint and the matching method answers sdk.ErrNotImplemented.
type config struct {
	login, validate, refresh, userinfo, revoke, lookup endpoint

	validateMethod string // GET (Bearer) or POST ({"token": …})
	timeout        time.Duration
	usernameField  string
	passwordField  string
	refreshField   string
	validateField  string
	revokeField    string
	displayName    string
	mapping        mapping
	// userinfo reads userinfo answers: mapping with the map_userinfo_* paths.
	userinfoMapping mapping
	tls             *tls.Config
}

// endpoint is one URL of the auth API.
type endpoint struct {
	url string // "" when not configured
	// path names the endpoint in errors: never the full URL, which may
	// carry a password for basic auth.
	path string
}

func (e endpoint) enabled() bool { return e.url != "" }

// settingError names the key and says what is wrong with its value. It never
// repeats the value of a URL, which may hold credentials.
func settingError(key, format string, args ...any) error {
	return fmt.Errorf("setting %q: %s", key, fmt.Sprintf(format, args...))
}

// parseConfig reads settings; keys left out take their defaults.
func parseConfig(m map[string]string) (*config, error) {
	return parseConfigFiles(m, true)
}

// parseConfigFiles is parseConfig; readFiles false leaves the CA file
// unread (and the TLS configuration without it).
func parseConfigFiles(m map[string]string, readFiles bool) (*config, error) {
	s, err := decodeSettings(m)
	if err != nil {
		return nil, err
	}
	c := &config{displayName: s.DisplayName}

	if s.APIURL == "" {
		return nil, settingError(keyAPIURL, "is required (the base URL of the auth API, e.g. https://auth.example.org)")
	}
	base, err := parseHTTPURL(keyAPIURL, s.APIURL)
	if err != nil {
		return nil, err
	}
	if base.RawQuery != "" || base.Fragment != "" {
		return nil, settingError(keyAPIURL, "must not have a query or fragment")
	}
	for _, ep := range []struct {
		key   string
		value string
		dst   *endpoint
	}{
		{keyLoginEndpoint, s.LoginEndpoint, &c.login},
		{keyValidate, s.Validate, &c.validate},
		{keyRefresh, s.Refresh, &c.refresh},
		{keyUserinfo, s.Userinfo, &c.userinfo},
		{keyRevoke, s.Revoke, &c.revoke},
		{keyLookup, s.Lookup, &c.lookup},
	} {
		if *ep.dst, err = joinEndpoint(base, ep.key, ep.value); err != nil {
			return nil, err
		}
	}

	if c.timeout, err = parseTimeout(s.Timeout); err != nil {
		return nil, err
	}

	switch m := strings.ToUpper(s.ValidateMethod); m {
	case "GET", "POST":
		c.validateMethod = m
	default:
		return nil, settingError(keyValidateMethod, "%q is neither GET nor POST", s.ValidateMethod)
	}

	c.usernameField, c.passwordField = s.UsernameField, s.PasswordField
	if c.usernameField == c.passwordField {
		return nil, settingError(keyPasswordField, "must differ from %s (both are %q)", keyUsernameField, c.passwordField)
	}

	if c.mapping, err = parseMapping(s); err != nil {
		return nil, err
	}
	c.refreshField, c.validateField, c.revokeField = s.RefreshField, s.ValidateField, s.RevokeField
	c.userinfoMapping = c.mapping
	for _, f := range []struct {
		key, value string
		dst        *jsonPath
	}{
		{keyUIEmail, s.UIEmail, &c.userinfoMapping.email},
		{keyUIName, s.UIName, &c.userinfoMapping.name},
		{keyUISubject, s.UISubject, &c.userinfoMapping.subject},
	} {
		if f.value == "" {
			continue
		}
		if *f.dst, err = parsePath(f.key, f.value); err != nil {
			return nil, err
		}
	}

	caFile := s.CAFile
	if !readFiles {
		caFile = ""
	}
	if c.tls, err = tlsConfig(caFile, s.InsecureTLS); err != nil {
		return nil, err
	}
	return c, nil
}

// parseHTTPURL parses an absolute http(s) URL with a host.
func parseHTTPURL(key, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // without the URL, which may hold a password
		}
		return nil, settingError(key, "not a valid URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, settingError(key, "must be an http or https URL")
	}
	if u.Host == "" {
		return nil, settingError(key, "URL has no host")
	}
	return u, nil
}

// joinEndpoint appends a path (with an optional query) to the base URL, so
// a base of https://h/api and /auth/login give https://h/api/auth/login. An
// absolute http(s) URL is used as is, for an API spread over several hosts.
func joinEndpoint(base *url.URL, key, v string) (endpoint, error) {
	if v == "" {
		return endpoint{}, nil
	}
	if strings.Contains(v, "://") {
		u, err := parseHTTPURL(key, v)
		if err != nil {
			return endpoint{}, err
		}
		return endpoint{url: u.String(), path: u.Path}, nil
	}
	ref, err := url.Parse(v)
	if err != nil || ref.Host != "" || ref.Scheme != "" || ref.Fragment != "" {
		return endpoint{}, settingError(key, "%q is not a path such as /auth/login or an http(s) URL", v)
	}
	root := *base
	if root.Path == "" {
		root.Path = "/" // so the joined path is absolute
	}
	u := root.JoinPath(ref.Path)
	u.RawQuery = ref.RawQuery
	return endpoint{url: u.String(), path: u.Path}, nil
}

// parseTimeout reads a Go duration ("10s", "1m30s"); a bare number is
// seconds, as the original EXTERNAL_AUTH_TIMEOUT was.
func parseTimeout(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, nerr := strconv.ParseFloat(v, 64)
		if nerr != nil {
			return 0, settingError(keyTimeout, "%q is not a duration such as 10s", v)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d <= 0 {
		return 0, settingError(keyTimeout, "must be positive, got %q", v)
	}
	return d, nil
}

// tlsConfig builds the client TLS settings: the system roots plus caFile's
// certificates when given.
func tlsConfig(caFile string, insecure bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, settingError(keyCAFile, "%v", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, settingError(keyCAFile, "%s holds no PEM certificate", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}
