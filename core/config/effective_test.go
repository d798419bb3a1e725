package config

import (
	"strings"
	"testing"
)

// TestEffectiveSources: each key of the effective configuration says which
// layer set it: the default, the file, a variable (its name) or a flag.
func TestEffectiveSources(t *testing.T) {
	t.Parallel()
	sum := strings.Repeat("ab", 32)
	path := writeConfig(t, `[server]
listen = "127.0.0.1:9000"
max_upload_mb = 64
[ocr]
workers = 3
default_outputs = ["txt", "pdf"]
[auth]
enable_task_history = false
[plugins.tesseract]
psm = 6
[[plugins.engine]]
name = "pyocr"
path = "/opt/pyocr"
sha256 = "`+sum+`"
env = ["PYTHONPATH=/opt", "API_TOKEN=abc"]
[plugins.engine.settings]
mode = "fast"
`)
	env := []string{"OCRBOX_OCR_WORKERS=4", "OCRBOX_STORAGE_DATA_DIR=/srv/ocr", "MAX_TASKS_PER_USER=9",
		"OCRBOX_PLUGINS_OIDC_ISSUER=https://idp.example.org"}
	c, err := Load(path, env, map[string]any{"server.listen": "127.0.0.1:9200"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Setting{}
	for _, s := range c.Effective() {
		got[s.Key] = s
	}
	tests := []struct{ key, value, source string }{
		{"server.listen", `"127.0.0.1:9200"`, "flag"},
		{"server.max_upload_mb", "64", "file " + path},
		{"server.read_timeout", `"10m"`, "default"},
		{"ocr.workers", "4", "env OCRBOX_OCR_WORKERS"},
		{"ocr.default_outputs", `["txt", "pdf"]`, "file " + path},
		{"ocr.pdf_dpi", "300", "default"},
		{"storage.data_dir", `"/srv/ocr"`, "env OCRBOX_STORAGE_DATA_DIR"},
		{"limits.max_tasks_per_user", "9", "env MAX_TASKS_PER_USER"},
		{"history.enabled", "false", "file " + path + " (as auth.enable_task_history)"},
		{"plugins.tesseract.psm", "6", "file " + path},
		{"plugins.oidc.issuer", `"https://idp.example.org"`, "env OCRBOX_PLUGINS_OIDC_ISSUER"},
		{"plugins.local.users_file", `"/srv/ocr/users.json"`, "default (storage.data_dir/users.json)"},
		{"plugins.engine[0].name", `"pyocr"`, "file " + path},
		{"plugins.engine[0].env", `["PYTHONPATH=/opt", "API_TOKEN=********"]`, "file " + path},
		{"plugins.engine[0].settings.mode", `"fast"`, "file " + path},
		{"auth.token_key", `""`, "default"},
	}
	for _, tc := range tests {
		s, ok := got[tc.key]
		if !ok {
			t.Errorf("%s is missing", tc.key)
			continue
		}
		if s.Value != tc.value || s.Source.String() != tc.source {
			t.Errorf("%s = %s (%s), want %s (%s)", tc.key, s.Value, s.Source, tc.value, tc.source)
		}
	}
	if _, ok := got["auth.enable_task_history"]; ok {
		t.Error("the older key is listed besides history.enabled")
	}
	keys := c.Effective()
	for i := 1; i < len(keys); i++ {
		if keys[i-1].Key >= keys[i].Key {
			t.Fatalf("not sorted: %s before %s", keys[i-1].Key, keys[i].Key)
		}
	}
}

// TestEffectiveMasksSecrets: secrets that are set print as ********, never
// their value; empty ones print as "" (so an unset secret is visible), and
// a URL shows without its password.
func TestEffectiveMasksSecrets(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `[metrics]
token = "scrape-me"
[plugins.oidc]
client_secret = "oidc-secret"
client_id = "ocrbox"
[plugins.ldap]
bind_password = "ldap-secret"
url = "ldaps://dc.example.org"
[plugins.http]
external_auth_api_url = "https://svc:url-secret@auth.example.org"
map_access_token = "access_token"
`)
	c, err := Load(path, []string{"OCRBOX_AUTH_TOKEN_KEYS_OLD=old-secret-1,old-secret-2", "OCRBOX_PLUGINS_X_API_KEY=key-secret"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"metrics.token":                      masked,
		"auth.token_keys_old":                masked,
		"auth.token_key":                     `""`,
		"plugins.oidc.client_secret":         masked,
		"plugins.oidc.client_id":             `"ocrbox"`,
		"plugins.ldap.bind_password":         masked,
		"plugins.x.api_key":                  masked,
		"plugins.http.external_auth_api_url": `"https://svc:xxxxx@auth.example.org"`,
		"plugins.http.map_access_token":      `"access_token"`,
		"server.tls_key":                     `""`,
	}
	var all strings.Builder
	for _, s := range c.Effective() {
		all.WriteString(s.Key + " = " + s.Value + "\n")
		if w, ok := want[s.Key]; ok && s.Value != w {
			t.Errorf("%s = %s, want %s", s.Key, s.Value, w)
		}
	}
	if strings.Contains(all.String(), "-secret") || strings.Contains(all.String(), "scrape-me") {
		t.Errorf("a secret shows:\n%s", all.String())
	}
}

func TestIsSecret(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]bool{
		"auth.token_key": true, "auth.token_keys_old": true, "metrics.token": true,
		"auth.token_refresh_buffer": false, "server.tls_key": false, "auth.cookie_name": false,
		"plugins.oidc.client_secret": true, "plugins.ldap.bind_password": true, "plugins.x.api_token": true,
		"plugins.x.key": true, "plugins.x.signing_key": true, "plugins.x.apikey": true,
		"plugins.x.tls_key": false, "plugins.http.map_refresh_token": false, "plugins.ldap.ca_file": false,
		"plugins.local.users_file": false, "plugins.tesseract.psm": false, "plugins.x.keyboard": false,
	} {
		if got := IsSecret(key); got != want {
			t.Errorf("IsSecret(%s) = %v, want %v", key, got, want)
		}
	}
}
