package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUnknownFileKeys: a key or section of config.toml that names nothing
// fails the load, naming the file, the key and what was probably meant.
func TestUnknownFileKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, toml string
		want       []string // each must appear in the error
	}{
		{"typo in a key", "[server]\nmax_uplod_mb = 10\n",
			[]string{`config.toml: unknown key "server.max_uplod_mb" (did you mean "server.max_upload_mb"?)`}},
		{"key in the wrong section", "[limits]\nmax_upload_mb = 10\n",
			[]string{`unknown key "limits.max_upload_mb" (did you mean "server.max_upload_mb"?)`}},
		{"typo in a section", "[limitz]\nmax_pages = 10\nmax_megapixels = 5\n",
			[]string{`config.toml: unknown section [limitz] (did you mean [limits]?)`}},
		{"unknown section, nothing close", "[swarm]\nnodes = 3\n",
			[]string{`unknown section [swarm] (known: auth, cluster, history, limits, log, metrics, ocr, server, storage, plugins)`}},
		{"key outside any table", "listen = \"0.0.0.0:80\"\n", []string{`unknown key "listen" (did you mean "`}},
		{"section as a value", "server = 1\n", []string{`"server" must be a table: [server]`}},
		{"nothing close", "[ocr]\ncolour = \"blue\"\n", []string{`unknown key "ocr.colour"`}},
		{"every problem at once", "[server]\nlisen = \"x\"\n[ocr]\nworkerz = 2\n",
			[]string{`"server.lisen" (did you mean "server.listen"?)`, `"ocr.workerz" (did you mean "ocr.workers"?)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(writeConfig(t, tc.toml), nil, nil)
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "did you mean") && strings.Contains(tc.name, "nothing close") {
				t.Errorf("error %q suggests a key that is not close", err)
			}
		})
	}
}

// TestKnownFileKeysLoad: plugin tables, [[plugins.engine]] and the older
// auth.enable_task_history are not unknown keys.
func TestKnownFileKeysLoad(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, "[auth]\nenable_task_history = false\n[plugins.whatever]\nanything = \"goes here\"\n")
	c, err := Load(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.History.Enabled || c.Plugins["whatever"]["anything"] != "goes here" {
		t.Fatalf("history %v, plugins %v", c.History.Enabled, c.Plugins)
	}
}

func TestUnknownEnvSuggests(t *testing.T) {
	t.Parallel()
	_, err := Load("", []string{"OCRBOX_SERVER_LISTNE=127.0.0.1:1"}, nil)
	if err == nil || !strings.Contains(err.Error(), "unknown environment variable OCRBOX_SERVER_LISTNE: no such configuration key (did you mean OCRBOX_SERVER_LISTEN?)") {
		t.Fatalf("err = %v", err)
	}
}

// TestTrustProxyNeedsProxies: trust_proxy with no trusted_proxies would
// believe X-Forwarded-For from anyone; it stops the load, naming the key
// and where it was set.
func TestTrustProxyNeedsProxies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		toml string
		env  []string
		want string // "" = loads
	}{
		{"off", "", nil, ""},
		{"with proxies", "[server]\ntrust_proxy = true\ntrusted_proxies = [\"127.0.0.1\"]\n", nil, ""},
		{"with proxies from env", "", []string{"OCRBOX_SERVER_TRUST_PROXY=true", "OCRBOX_SERVER_TRUSTED_PROXIES=10.0.0.0/8, ::1"}, ""},
		{"file", "[server]\ntrust_proxy = true\n", nil, "config key server.trust_proxy (from " + "PATH" + "): is true but server.trusted_proxies is empty"},
		{"env", "", []string{"OCRBOX_SERVER_TRUST_PROXY=true"}, "config key server.trust_proxy (from environment variable OCRBOX_SERVER_TRUST_PROXY): is true but server.trusted_proxies is empty"},
		{"empty list from env", "", []string{"OCRBOX_SERVER_TRUST_PROXY=1", "OCRBOX_SERVER_TRUSTED_PROXIES="}, "server.trusted_proxies is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := ""
			if tc.toml != "" {
				path = writeConfig(t, tc.toml)
			}
			_, err := Load(path, tc.env, nil)
			want := strings.ReplaceAll(tc.want, "PATH", path)
			switch {
			case want == "" && err != nil:
				t.Fatal(err)
			case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
				t.Fatalf("err = %v, want %q", err, want)
			}
		})
	}
}
