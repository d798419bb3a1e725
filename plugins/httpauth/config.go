package httpauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
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
)

// settingDefault is one key's default and what a blank value means.
type settingDefault struct {
	value string
	// blankIsDefault: an empty value means the default (the key cannot be
	// switched off); otherwise an empty value switches the feature off.
	blankIsDefault bool
}

// settingDefaults lists every known key. Keys that can be switched off with
// "" (optional endpoints and response fields) have blankIsDefault false.
var settingDefaults = map[string]settingDefault{
	keyAPIURL:         {"", true},
	keyLoginEndpoint:  {"/auth/login", true},
	keyTimeout:        {"10s", true},
	keyValidate:       {"/auth/validate", false},
	keyValidateMethod: {"GET", true},
	keyRefresh:        {"/auth/refresh", false},
	keyUserinfo:       {"/auth/userinfo", false},
	keyRevoke:         {"", false},
	keyLookup:         {"", false},
	keyUsernameField:  {"username", true},
	keyPasswordField:  {"password", true},
	keyDisplayName:    {"Organisation account", true},
	keyInsecureTLS:    {"false", true},
	keyCAFile:         {"", false},
	keyMapAccess:      {"access_token", true},
	keyMapID:          {"id_token", false},
	keyMapRefresh:     {"refresh_token", false},
	keyMapExpiresIn:   {"expires_in", false},
	keyMapEmail:       {"user.email", true},
	keyMapName:        {"user.name", false},
	keyMapSubject:     {"user.id", false},
	keyMapExtra:       {"", false},
}

// config is the parsed settings. An empty endpoint URL means the API has no
// such endpoint and the matching method answers sdk.ErrNotImplemented.
type config struct {
	login, validate, refresh, userinfo, revoke, lookup endpoint

	validateMethod string // GET (Bearer) or POST ({"token": …})
	timeout        time.Duration
	usernameField  string
	passwordField  string
	displayName    string
	mapping        mapping
	tls            *tls.Config
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
func parseConfig(settings map[string]string) (*config, error) {
	if err := checkKeys(settings); err != nil {
		return nil, err
	}
	get := func(key string) string {
		d := settingDefaults[key]
		v, ok := settings[key]
		v = strings.TrimSpace(v)
		if !ok || (v == "" && d.blankIsDefault) {
			return d.value
		}
		return v
	}

	c := &config{displayName: get(keyDisplayName)}
	var err error

	rawBase := get(keyAPIURL)
	if rawBase == "" {
		return nil, settingError(keyAPIURL, "is required (the base URL of the auth API, e.g. https://auth.example.org)")
	}
	base, err := parseHTTPURL(keyAPIURL, rawBase)
	if err != nil {
		return nil, err
	}
	if base.RawQuery != "" || base.Fragment != "" {
		return nil, settingError(keyAPIURL, "must not have a query or fragment")
	}
	for _, ep := range []struct {
		key string
		dst *endpoint
	}{
		{keyLoginEndpoint, &c.login},
		{keyValidate, &c.validate},
		{keyRefresh, &c.refresh},
		{keyUserinfo, &c.userinfo},
		{keyRevoke, &c.revoke},
		{keyLookup, &c.lookup},
	} {
		if *ep.dst, err = joinEndpoint(base, ep.key, get(ep.key)); err != nil {
			return nil, err
		}
	}

	if c.timeout, err = parseTimeout(get(keyTimeout)); err != nil {
		return nil, err
	}

	switch m := strings.ToUpper(get(keyValidateMethod)); m {
	case "GET", "POST":
		c.validateMethod = m
	default:
		return nil, settingError(keyValidateMethod, "%q is neither GET nor POST", get(keyValidateMethod))
	}

	c.usernameField, c.passwordField = get(keyUsernameField), get(keyPasswordField)
	if c.usernameField == c.passwordField {
		return nil, settingError(keyPasswordField, "must differ from %s (both are %q)", keyUsernameField, c.passwordField)
	}

	if c.mapping, err = parseMapping(get); err != nil {
		return nil, err
	}

	insecure, err := strconv.ParseBool(get(keyInsecureTLS))
	if err != nil {
		return nil, settingError(keyInsecureTLS, "%q is not true or false", get(keyInsecureTLS))
	}
	if c.tls, err = tlsConfig(get(keyCAFile), insecure); err != nil {
		return nil, err
	}
	return c, nil
}

// checkKeys refuses unknown keys, so a typo does not silently fall back to a
// default. Sorted, so the error is the same on every start.
func checkKeys(settings map[string]string) error {
	var unknown []string
	for k := range settings {
		if _, ok := settingDefaults[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	known := make([]string, 0, len(settingDefaults))
	for k := range settingDefaults {
		known = append(known, k)
	}
	sort.Strings(known)
	return fmt.Errorf("unknown setting %q (known: %s)", unknown[0], strings.Join(known, ", "))
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
