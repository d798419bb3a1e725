package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCheck runs `ocrbox config check` in-process: a valid
// configuration prints every key with its value and source, secrets
// masked; an invalid one exits 1 with the error serve would stop with.
func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // no ./config.toml unless a case writes one
	write := func(body string) string {
		path := filepath.Join(dir, "c.toml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name     string
		args     []string
		toml     string
		env      map[string]string
		exit     int
		stdout   []string // lines (or parts of lines) that must appear
		stderr   string
		notShown string
	}{
		{"valid", []string{"config", "check", "--config", "FILE", "--listen", "127.0.0.1:9300"},
			"[server]\nlisten = \"127.0.0.1:9000\"\nmax_upload_mb = 64\n[metrics]\ntoken = \"scrape-secret\"\n" +
				"[plugins.tesseract]\npsm = \"6\"\n",
			map[string]string{"OCRBOX_OCR_WORKERS": "2", "OCRBOX_PLUGINS_LDAP_BIND_PASSWORD": "ldap-secret"}, 0,
			[]string{
				"# ocrbox effective configuration: FILE, environment and flags; secrets masked",
				`server.listen = "127.0.0.1:9300"`, "# flag",
				"server.max_upload_mb = 64", "# file FILE",
				"ocr.workers = 2", "# env OCRBOX_OCR_WORKERS",
				`ocr.pdf_dpi = 300`,
				`metrics.token = "********"`,
				`plugins.ldap.bind_password = "********"`,
				`plugins.tesseract.psm = "6"`,
				"# valid; plugins checked in-process (files and network are checked when they start): local, ocrad, tesseract",
			}, "", "-secret"},
		{"typo in a key", []string{"config", "check", "--config", "FILE"}, "[server]\nmax_uplod_mb = 64\n", nil, 1, nil,
			`ocrbox config: FILE: unknown key "server.max_uplod_mb" (did you mean "server.max_upload_mb"?)`, ""},
		{"typo in a section", []string{"config", "check", "--config", "FILE"}, "[limitz]\nmax_pages = 3\n", nil, 1, nil,
			`FILE: unknown section [limitz] (did you mean [limits]?)`, ""},
		{"typo in a plugin setting", []string{"config", "check", "--config", "FILE"}, "[plugins.ocrad]\nlayuot = \"false\"\n", nil, 1, nil,
			`FILE: plugins.ocrad: unknown setting "layuot" (did you mean "layout"?)`, ""},
		{"unknown variable", []string{"config", "check"}, "", map[string]string{"OCRBOX_LOG_LEVLE": "debug"}, 1, nil,
			"unknown environment variable OCRBOX_LOG_LEVLE: no such configuration key (did you mean OCRBOX_LOG_LEVEL?)", ""},
		{"trust_proxy for anyone", []string{"config", "check"}, "", map[string]string{"OCRBOX_SERVER_TRUST_PROXY": "true"}, 1, nil,
			"config key server.trust_proxy (from environment variable OCRBOX_SERVER_TRUST_PROXY): is true but server.trusted_proxies is empty", ""},
		{"serve stops with the same error", []string{"serve", "--config", "FILE"}, "[server]\nmax_uplod_mb = 64\n", nil, 1, nil,
			`ocrbox serve: FILE: unknown key "server.max_uplod_mb" (did you mean "server.max_upload_mb"?)`, ""},
		{"no subcommand", []string{"config"}, "", nil, 1, nil, "usage: ocrbox config check", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := ""
			if tc.toml != "" {
				path = write(tc.toml)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "FILE", path)
			}
			var stdout, stderr bytes.Buffer
			if code := Run(args, strings.NewReader(""), &stdout, &stderr); code != tc.exit {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.exit, stderr.String())
			}
			for _, want := range tc.stdout {
				if want = strings.ReplaceAll(want, "FILE", path); !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if want := strings.ReplaceAll(tc.stderr, "FILE", path); !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), want)
			}
			if tc.notShown != "" && strings.Contains(stdout.String(), tc.notShown) {
				t.Errorf("stdout shows %q:\n%s", tc.notShown, stdout.String())
			}
		})
	}
}
