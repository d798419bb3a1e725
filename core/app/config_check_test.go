package app

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/config"
)

// TestCheckConfig: plugin tables must name a built-in plugin and hold
// settings it knows; the plugins that will start are checked entirely,
// the others for unknown keys and value types; every error says where the
// setting was made.
func TestCheckConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		toml    string
		env     []string
		want    string   // substring of the error; "" = valid
		started []string // when valid
	}{
		{"shipped defaults", "", nil, "", []string{"local", "ocrad", "tesseract"}},
		{"providers and engines chosen", "[auth]\nproviders = [\"oidc\", \"local\"]\n[ocr]\nbuiltin_engines = [\"tesseract\"]\n" +
			"[plugins.oidc]\nissuer = \"https://idp.example.org\"\nclient_id = \"ocrbox\"\n", nil, "", []string{"local", "oidc", "tesseract"}},
		{"unknown plugin table", "[plugins.tesserakt]\npsm = 3\n", nil,
			`PATH: [plugins.tesserakt]: no built-in plugin "tesserakt" (built in: `, nil},
		{"typo in a plugin setting", "[plugins.tesseract]\npsmm = 6\n", nil,
			`PATH: plugins.tesseract: unknown setting "psmm" (did you mean "psm"?)`, nil},
		{"bad value from the environment", "", []string{"OCRBOX_PLUGINS_TESSERACT_PSM=six"},
			`environment variable OCRBOX_PLUGINS_TESSERACT_PSM: plugins.tesseract: setting "psm": "six" is not a whole number`, nil},
		{"unknown plugin from the environment", "", []string{"OCRBOX_PLUGINS_TESERACT_PSM=6"},
			`environment variable OCRBOX_PLUGINS_TESERACT_PSM: [plugins.teseract]: no built-in plugin`, nil},
		{"started plugin checked entirely", "[plugins.tesseract]\npsm = 2\n", nil, `plugins.tesseract: setting "psm": mode 2`, nil},
		{"unused plugin: values not checked", "[ocr]\nbuiltin_engines = [\"ocrad\"]\ndefault_engine = \"ocrad\"\n[plugins.tesseract]\npsm = 2\n" +
			"[plugins.oidc]\nclient_id = \"later\"\n", nil, "", []string{"local", "ocrad"}},
		{"unused plugin: keys checked", "[plugins.oidc]\nissuer_url = \"https://idp.example.org\"\n", nil,
			`PATH: plugins.oidc: unknown setting "issuer_url" (did you mean "issuer"?)`, nil},
		{"started provider without its required setting", "[auth]\nproviders = [\"oidc\"]\n", nil,
			`plugins.oidc: setting "issuer" is required`, nil},
		{"unknown provider", "[auth]\nproviders = [\"ldpa\"]\n", nil,
			`config key auth.providers (from PATH): unknown auth provider "ldpa"`, nil},
		{"unknown built-in engine", "", []string{"OCRBOX_OCR_BUILTIN_ENGINES=tesseract,ocrd"},
			`config key ocr.builtin_engines (from environment variable OCRBOX_OCR_BUILTIN_ENGINES): no built-in engine "ocrd"`, nil},
		{"every problem at once", "[plugins.tesseract]\npsmm = 6\n[plugins.ocrad]\ntreshold = 1\n", nil,
			`unknown setting "treshold" (did you mean "threshold"?)`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "config.toml")
			if err := os.WriteFile(path, []byte("[storage]\ndata_dir = "+`"`+dir+`"`+"\n"+tc.toml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path, tc.env, nil)
			if err != nil {
				t.Fatal(err)
			}
			started, err := CheckConfig(cfg)
			want := strings.ReplaceAll(tc.want, "PATH", path)
			switch {
			case want == "" && err != nil:
				t.Fatal(err)
			case want == "" && !slices.Equal(started, tc.started):
				t.Fatalf("started %v, want %v", started, tc.started)
			case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
				t.Fatalf("err = %v\nwant %q", err, want)
			}
		})
	}
}
