package httpauth

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

func TestConfigureRejects(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	const base = "https://auth.example.org"
	tests := []struct {
		name     string
		settings map[string]string
		wantKey  string // the error must name it
		notIn    string // and must not repeat this
	}{
		{"nil settings", nil, keyAPIURL, ""},
		{"blank URL", map[string]string{keyAPIURL: "  "}, keyAPIURL, ""},
		{"ftp URL", map[string]string{keyAPIURL: "ftp://auth.example.org"}, keyAPIURL, ""},
		{"relative URL", map[string]string{keyAPIURL: "auth.example.org/api"}, keyAPIURL, ""},
		{"URL without host", map[string]string{keyAPIURL: "https:///api"}, keyAPIURL, ""},
		{"unparsable URL keeps its password", map[string]string{keyAPIURL: "https://svc:hunter2@[::1"}, keyAPIURL, "hunter2"},
		{"URL with query", map[string]string{keyAPIURL: base + "?tenant=1"}, keyAPIURL, ""},
		{"unknown key", map[string]string{keyAPIURL: base, "external_auth_url": base}, "external_auth_url", ""},
		{"typo named with the key meant", map[string]string{keyAPIURL: base, "validate_endpont": "/v"}, keyValidate, ""},
		{"unknown key named even with a bad value elsewhere", map[string]string{keyAPIURL: "ftp://x", "timeout": "1s"}, "timeout", ""},
		{"bad timeout", map[string]string{keyAPIURL: base, keyTimeout: "soon"}, keyTimeout, ""},
		{"zero timeout", map[string]string{keyAPIURL: base, keyTimeout: "0s"}, keyTimeout, ""},
		{"negative timeout", map[string]string{keyAPIURL: base, keyTimeout: "-5"}, keyTimeout, ""},
		{"endpoint on another scheme", map[string]string{keyAPIURL: base, keyUserinfo: "ftp://other.example.org/me"}, keyUserinfo, ""},
		{"endpoint scheme-relative", map[string]string{keyAPIURL: base, keyRefresh: "//evil.example/refresh"}, keyRefresh, ""},
		{"endpoint with fragment", map[string]string{keyAPIURL: base, keyLookup: "/users#x"}, keyLookup, ""},
		{"validate method", map[string]string{keyAPIURL: base, keyValidateMethod: "PUT"}, keyValidateMethod, ""},
		{"same field twice", map[string]string{keyAPIURL: base, keyUsernameField: "login", keyPasswordField: "login"}, keyPasswordField, ""},
		{"empty path segment", map[string]string{keyAPIURL: base, keyMapEmail: "user..email"}, keyMapEmail, ""},
		{"trailing dot", map[string]string{keyAPIURL: base, keyMapAccess: "data."}, keyMapAccess, ""},
		{"spaces in path", map[string]string{keyAPIURL: base, keyMapName: "user. name"}, keyMapName, ""},
		{"extra stored twice", map[string]string{keyAPIURL: base, keyMapExtra: "user.name,org.name"}, keyMapExtra, ""},
		{"extra without key", map[string]string{keyAPIURL: base, keyMapExtra: "=user.dept"}, keyMapExtra, ""},
		{"extra without path", map[string]string{keyAPIURL: base, keyMapExtra: "dept="}, keyMapExtra, ""},
		{"bad bool", map[string]string{keyAPIURL: base, keyInsecureTLS: "maybe"}, keyInsecureTLS, ""},
		{"missing CA file", map[string]string{keyAPIURL: base, keyCAFile: filepath.Join(dir, "nope.pem")}, keyCAFile, ""},
		{"CA file without a certificate", map[string]string{keyAPIURL: base, keyCAFile: notPEM}, keyCAFile, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := New().Configure(t.Context(), tt.settings)
			if err == nil || !strings.Contains(err.Error(), `"`+tt.wantKey+`"`) {
				t.Fatalf("Configure = %v, want an error naming %q", err, tt.wantKey)
			}
			if tt.notIn != "" && strings.Contains(err.Error(), tt.notIn) {
				t.Errorf("Configure = %q repeats %q", err, tt.notIn)
			}
		})
	}
}

// CheckSettings refuses what Configure refuses, except what needs the disk.
func TestCheckSettings(t *testing.T) {
	const base = "https://auth.example.org"
	for _, tt := range []struct {
		settings map[string]string
		wantErr  string
	}{
		{map[string]string{keyAPIURL: base}, ""},
		{map[string]string{keyAPIURL: base, keyCAFile: "/nonexistent/ca.pem"}, ""},
		{map[string]string{keyAPIURL: base, "extrenal_auth_timeout": "5s"}, `unknown setting "extrenal_auth_timeout" (did you mean "external_auth_timeout"?)`},
		{map[string]string{keyAPIURL: base, keyInsecureTLS: "maybe"}, `setting "tls_insecure_skip_verify": "maybe" is not true or false`},
		{nil, keyAPIURL},
	} {
		err := CheckSettings(tt.settings)
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("CheckSettings(%v) = %v, want %q", tt.settings, err, tt.wantErr)
		}
	}
}

func TestConfigureAccepts(t *testing.T) {
	const base = "https://auth.example.org"
	tests := []struct {
		name     string
		settings map[string]string
		check    func(t *testing.T, c *config)
	}{
		{"defaults", map[string]string{keyAPIURL: base}, func(t *testing.T, c *config) {
			want := map[string]endpoint{
				"login":    {base + "/auth/login", "/auth/login"},
				"validate": {base + "/auth/validate", "/auth/validate"},
				"refresh":  {base + "/auth/refresh", "/auth/refresh"},
				"userinfo": {base + "/auth/userinfo", "/auth/userinfo"},
				"revoke":   {},
				"lookup":   {},
			}
			got := map[string]endpoint{"login": c.login, "validate": c.validate, "refresh": c.refresh,
				"userinfo": c.userinfo, "revoke": c.revoke, "lookup": c.lookup}
			for k := range want {
				if got[k] != want[k] {
					t.Errorf("%s = %+v, want %+v", k, got[k], want[k])
				}
			}
			if c.timeout != 10*time.Second || c.validateMethod != "GET" || c.usernameField != "username" ||
				c.passwordField != "password" || c.displayName != "Organisation account" || c.tls.InsecureSkipVerify {
				t.Errorf("config = %+v", c)
			}
			if c.mapping.email.String() != "user.email" || c.mapping.subject.String() != "user.id" || c.mapping.extra != nil {
				t.Errorf("mapping = %+v", c.mapping)
			}
		}},
		{"base path, relative endpoint with a query, absolute endpoint", map[string]string{
			keyAPIURL: base + "/api/", keyLoginEndpoint: "v1/login?client=ocrbox", keyUserinfo: "https://id.example.org/me",
		}, func(t *testing.T, c *config) {
			if c.login.url != base+"/api/v1/login?client=ocrbox" || c.login.path != "/api/v1/login" {
				t.Errorf("login = %+v", c.login)
			}
			if c.validate.url != base+"/api/auth/validate" {
				t.Errorf("validate = %+v", c.validate)
			}
			if c.userinfo.url != "https://id.example.org/me" {
				t.Errorf("userinfo = %+v", c.userinfo)
			}
		}},
		{"blank keys that cannot be off take their defaults", map[string]string{
			keyAPIURL: base, keyLoginEndpoint: "", keyTimeout: " ", keyMapAccess: "", keyMapEmail: "", keyUsernameField: "",
		}, func(t *testing.T, c *config) {
			if c.login.path != "/auth/login" || c.timeout != 10*time.Second || c.mapping.accessToken.String() != "access_token" ||
				c.mapping.email.String() != "user.email" || c.usernameField != "username" {
				t.Errorf("config = %+v", c)
			}
		}},
		{"blank optional keys switch off", map[string]string{
			keyAPIURL: base, keyValidate: "", keyRefresh: "", keyUserinfo: "", keyMapSubject: "", keyMapID: "",
		}, func(t *testing.T, c *config) {
			if c.validate.enabled() || c.refresh.enabled() || c.userinfo.enabled() || c.mapping.subject != nil || c.mapping.idToken != nil {
				t.Errorf("config = %+v", c)
			}
		}},
		{"bare number timeout is seconds; TOML true arrives as 1; method any case", map[string]string{
			keyAPIURL: base, keyTimeout: "2.5", keyInsecureTLS: "1", keyValidateMethod: "post",
		}, func(t *testing.T, c *config) {
			if c.timeout != 2500*time.Millisecond || !c.tls.InsecureSkipVerify || c.validateMethod != "POST" {
				t.Errorf("config = %+v", c)
			}
		}},
		{"extra keys", map[string]string{keyAPIURL: base, keyMapExtra: " user.department , groups = user.roles,,"}, func(t *testing.T, c *config) {
			if len(c.mapping.extra) != 2 || c.mapping.extra[0].key != "department" || c.mapping.extra[1].key != "groups" ||
				c.mapping.extra[1].path.String() != "user.roles" {
				t.Errorf("extra = %+v", c.mapping.extra)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(tt.settings)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
			if err := New().Configure(t.Context(), tt.settings); err != nil {
				t.Fatalf("Configure = %v", err)
			}
		})
	}
}

// A TLS API with its own CA: refused by default, accepted with ca_file or
// (not recommended) tls_insecure_skip_verify.
func TestTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rawAnswer(http.StatusOK, okLogin)(w, r)
	}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		settings map[string]string
		want     error
	}{
		{"unknown CA", map[string]string{keyAPIURL: srv.URL}, sdk.ErrUnavailable},
		{"ca_file", map[string]string{keyAPIURL: srv.URL, keyCAFile: caFile}, nil},
		{"skip verify", map[string]string{keyAPIURL: srv.URL, keyInsecureTLS: "true"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ap := startProvider(t, false, tt.settings)
			_, err := ap.Authenticate(t.Context(), "ada", adaPassword)
			checkErr(t, err, tt.want, "")
		})
	}
}
