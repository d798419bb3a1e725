package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigMistakesStopTheBinary: the real binary refuses a configuration
// with a typo in a key, a section or a plugin setting, or trust_proxy for
// every peer — `ocrbox config check` with exit 1 and `ocrbox serve` before
// it listens, both with the same message naming the file and the key meant.
// A valid configuration is printed with the source of each value.
func TestConfigMistakesStopTheBinary(t *testing.T) {
	needDeps(t)
	tests := []struct {
		name string
		toml string
		env  []string
		want string
	}{
		{"typo in a key", "[server]\nmax_uplod_mb = 64\n", nil,
			`config.toml: unknown key "server.max_uplod_mb" (did you mean "server.max_upload_mb"?)`},
		{"typo in a section", "[limitz]\nmax_pages = 3\n", nil, `config.toml: unknown section [limitz] (did you mean [limits]?)`},
		{"typo in a plugin setting", "[plugins.tesseract]\npsmm = \"6\"\n", nil,
			`config.toml: plugins.tesseract: unknown setting "psmm" (did you mean "psm"?)`},
		{"trust_proxy for every peer", "", []string{"OCRBOX_SERVER_TRUST_PROXY=true"},
			"config key server.trust_proxy (from environment variable OCRBOX_SERVER_TRUST_PROXY): is true but server.trusted_proxies is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.toml != "" {
				if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(tc.toml), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if tc.env == nil {
				res, err := runCLI(binPath, dir, "", "config", "check")
				if err != nil {
					t.Fatal(err)
				}
				if res.ExitCode != 1 || !strings.Contains(res.Stderr, tc.want) {
					t.Errorf("config check: exit %d, stderr %q; want 1 and %q", res.ExitCode, res.Stderr, tc.want)
				}
			}
			s, err := startServer(serverConfig{Bin: binPath, DataDir: dir, Env: tc.env})
			if err == nil {
				s.kill()
				t.Fatal("the server started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("serve: %v\nwant %q", err, tc.want)
			}
		})
	}

	t.Run("valid", func(t *testing.T) {
		dir := t.TempDir()
		conf := "[server]\nmax_upload_mb = 64\n[metrics]\ntoken = \"do-not-print-me\"\n"
		if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		res, err := runCLI(binPath, dir, "", "config", "check")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"server.max_upload_mb = 64", "# file config.toml", `metrics.token = "********"`,
			`storage.data_dir = "` + dir + `"`, "# env OCRBOX_STORAGE_DATA_DIR", "ocr.pdf_dpi = 300", "# default", "# valid;"} {
			if !strings.Contains(res.Stdout, want) {
				t.Errorf("config check output lacks %q:\n%s", want, res.Stdout)
			}
		}
		if res.ExitCode != 0 || strings.Contains(res.Stdout, "do-not-print-me") {
			t.Errorf("exit %d, stdout:\n%s", res.ExitCode, res.Stdout)
		}
	})
}
