package config

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/knadh/koanf/v2"
)

// ExternalEngine is one [[plugins.engine]] table: an OCR engine plugin
// executable installed beside ocrbox.
type ExternalEngine struct {
	// Name is how uploads choose it (engine=NAME); unique, not a built-in's.
	Name string `koanf:"name"`
	// Path is the absolute path of the executable.
	Path string `koanf:"path"`
	// SHA256 pins the executable (hex); ocrbox refuses to start it when the
	// file's checksum differs.
	SHA256 string `koanf:"sha256"`
	// Args are passed to the executable.
	Args []string `koanf:"args"`
	// Env entries ("KEY=VALUE") are added to the plugin's minimal
	// environment; it never sees ocrbox's own.
	Env []string `koanf:"env"`
	// Workers is how many processes of it run (pages in parallel); 0 =
	// ocr.workers.
	Workers int `koanf:"workers"`
	// Settings are sent to the plugin's Configure call.
	Settings map[string]string `koanf:"settings"`
}

// Checksum is SHA256 decoded (validated at load).
func (e ExternalEngine) Checksum() []byte {
	b, _ := hex.DecodeString(e.SHA256)
	return b
}

var engineName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// takeExternalEngines reads [[plugins.engine]] out of the tree: it is a
// list of tables, unlike the other plugins.<name> settings tables.
func takeExternalEngines(k *koanf.Koanf) ([]ExternalEngine, error) {
	if !k.Exists("plugins.engine") {
		return nil, nil
	}
	var out []ExternalEngine
	if err := k.UnmarshalWithConf("plugins.engine", &out, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return nil, &KeyError{Key: "plugins.engine", Reason: "expected [[plugins.engine]] tables: " + err.Error()}
	}
	k.Delete("plugins.engine")
	return out, nil
}

// validateEngines checks the [[plugins.engine]] entries against each other
// and the built-in names; the files themselves are checked at start.
func validateEngines(list []ExternalEngine, builtins []string) error {
	seen := map[string]bool{}
	for _, b := range builtins {
		seen[b] = true
	}
	for i, e := range list {
		key := func(field string) string { return fmt.Sprintf("plugins.engine[%d].%s", i, field) }
		if !engineName.MatchString(e.Name) {
			return &KeyError{Key: key("name"), Reason: fmt.Sprintf("%q: use lower-case letters, digits, - and _ (at most 32)", e.Name)}
		}
		if seen[e.Name] {
			return &KeyError{Key: key("name"), Reason: fmt.Sprintf("%q is already taken (built-in or listed twice)", e.Name)}
		}
		seen[e.Name] = true
		if !filepath.IsAbs(e.Path) {
			return &KeyError{Key: key("path"), Reason: fmt.Sprintf("%q must be an absolute path", e.Path)}
		}
		if b, err := hex.DecodeString(strings.TrimSpace(e.SHA256)); err != nil || len(b) != 32 {
			return &KeyError{Key: key("sha256"), Reason: fmt.Sprintf("must be the executable's SHA-256 in hex (64 characters; `sha256sum %s` prints it)", e.Path)}
		}
		if e.Workers < 0 || e.Workers > 256 {
			return &KeyError{Key: key("workers"), Reason: fmt.Sprintf("must be 0 (= ocr.workers) to 256, got %d", e.Workers)}
		}
		for _, kv := range e.Env {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return &KeyError{Key: key("env"), Reason: fmt.Sprintf("%q is not KEY=VALUE", kv)}
			}
		}
	}
	return nil
}
