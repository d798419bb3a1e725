package app

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/plugins/builtin"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// CheckConfig checks what config.Load cannot know without the built-in
// plugins, before anything starts: every [plugins.NAME] table names a
// built-in plugin; auth.providers, ocr.builtin_engines and
// ocr.default_engine name plugins this build has; and each table's settings
// pass the plugin's CheckSettings (no files, no network) — entirely for the
// plugins this configuration starts, their keys and value types for the
// others (a typo in a table kept for later is still a typo). Every command
// that reads the configuration calls it, `ocrbox config check` included.
// It returns the names of the built-in plugins the server would start.
func CheckConfig(cfg *config.Config) ([]string, error) {
	var errs []error
	var started []string
	for _, name := range cfg.Auth.Providers {
		if b, ok := builtin.Lookup(name); !ok || b.Kind != sdk.KindAuth {
			errs = append(errs, &config.KeyError{Key: "auth.providers", Source: cfg.Where("auth.providers"),
				Reason: fmt.Sprintf("unknown auth provider %q (built in: %v)", name, builtin.Names(sdk.KindAuth))})
		} else if !slices.Contains(started, name) {
			started = append(started, name)
		}
	}
	engs, err := engineConfigs(cfg, 1)
	if err != nil {
		var ke *config.KeyError
		if errors.As(err, &ke) && ke.Source == "" {
			ke.Source = cfg.Where(strings.TrimSuffix(ke.Key, ".name"))
		}
		errs = append(errs, err)
	}
	for _, e := range engs {
		if e.Spec.Path == "" { // a built-in
			started = append(started, e.Spec.Name)
		}
	}

	names := make([]string, 0, len(cfg.Plugins))
	for name := range cfg.Plugins {
		names = append(names, name)
	}
	for _, name := range started {
		if !slices.Contains(names, name) {
			names = append(names, name) // no table, but settings all the same (defaults, users_file)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		p, ok := builtin.Lookup(name)
		if !ok {
			errs = append(errs, fmt.Errorf("%s[plugins.%s]: no built-in plugin %q (built in: %s; an external engine's settings go in its [plugins.engine.settings])",
				where(cfg, "plugins."+name), name, name, strings.Join(builtin.All(), ", ")))
			continue
		}
		if p.CheckSettings == nil {
			continue
		}
		errs = append(errs, settingErrors(cfg, name, p.CheckSettings(cfg.PluginSettings(name)), slices.Contains(started, name))...)
	}
	slices.Sort(started)
	return started, errors.Join(errs...)
}

// settingErrors prefixes each of a plugin's CheckSettings errors with where
// the setting was made; all of them for a plugin that will start, only the
// unknown keys and unreadable values (sdk.SettingError) for the others.
func settingErrors(cfg *config.Config, name string, err error, started bool) []error {
	var out []error
	for _, e := range flatten(err) {
		key := "plugins." + name
		var se *sdk.SettingError
		if errors.As(e, &se) {
			key += "." + se.Key
		} else if !started {
			continue
		}
		out = append(out, fmt.Errorf("%splugins.%s: %w", where(cfg, key), name, e))
	}
	return out
}

// where is "config.toml: " (or the variable, or the flag) for key, or ""
// for a default.
func where(cfg *config.Config, key string) string {
	if w := cfg.Where(key); w != "" {
		return w + ": "
	}
	return ""
}

// flatten lists the errors an errors.Join holds, nested ones included.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}
