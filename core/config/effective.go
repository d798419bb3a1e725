package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// SourceKind says which layer of the configuration set a key.
type SourceKind string

// The layers, lowest first.
const (
	FromDefault SourceKind = "default"
	FromFile    SourceKind = "file"
	FromEnv     SourceKind = "env"
	FromFlag    SourceKind = "flag"
)

// Source is where a key's effective value came from.
type Source struct {
	Kind SourceKind
	// Name is the file's path (FromFile) or the variable's name (FromEnv).
	Name string
}

// String is "default", "file config.toml", "env OCRBOX_SERVER_LISTEN" or
// "flag".
func (s Source) String() string {
	if s.Name == "" {
		return string(s.Kind)
	}
	return string(s.Kind) + " " + s.Name
}

// setBy phrases the source for an error message; "" for a default.
func (s Source) setBy() string {
	switch s.Kind {
	case FromFile:
		return s.Name
	case FromEnv:
		return "environment variable " + s.Name
	case FromFlag:
		return "a command-line flag"
	}
	return ""
}

// Source tells where key got its value. For a table ("plugins.ldap") or an
// element of [[plugins.engine]] ("plugins.engine[0].path") it is where its
// first key was set; the zero Source when nothing set it.
func (c *Config) Source(key string) Source {
	if s, ok := c.sources[key]; ok {
		return s
	}
	if strings.HasPrefix(key, "plugins.engine[") {
		return c.sources["plugins.engine"]
	}
	var under []string
	for k := range c.sources {
		if strings.HasPrefix(k, key+".") {
			under = append(under, k)
		}
	}
	if len(under) == 0 {
		return Source{}
	}
	slices.Sort(under)
	return c.sources[under[0]]
}

// Where phrases Source(key) for the start of an error message:
// "config.toml", "environment variable OCRBOX_PLUGINS_LDAP_URL", "a
// command-line flag", or "" for a default.
func (c *Config) Where(key string) string { return c.Source(key).setBy() }

// PluginSettings are the settings the host sends to the Configure call of
// built-in plugin name: its [plugins.NAME] table plus what the host derives
// — the local provider's users_file defaults to storage.data_dir/users.json.
func (c *Config) PluginSettings(name string) map[string]string {
	out := map[string]string{}
	for k, v := range c.Plugins[name] {
		out[k] = v
	}
	if name == "local" && out["users_file"] == "" {
		out["users_file"] = filepath.Join(c.Storage.DataDir, "users.json")
	}
	return out
}

// Setting is one line of the effective configuration.
type Setting struct {
	Key string
	// Value is written as in config.toml (strings quoted, lists in
	// brackets); a secret's value is masked.
	Value  string
	Source Source
	Secret bool
}

// masked stands for a secret that is set; an empty one shows as "".
const masked = `"********"`

// Effective lists every key of the configuration with its value and where
// it came from, sorted by key, secrets masked (see IsSecret), for `ocrbox
// config check`. [[plugins.engine]] entries appear as plugins.engine[i].*;
// the local provider's users_file appears when the host derives it.
func (c *Config) Effective() []Setting {
	defaults := Defaults()
	var out []Setting
	add := func(key string, v any, src Source) {
		s := Setting{Key: key, Value: render(v, defaults[key]), Source: src, Secret: IsSecret(key)}
		if s.Secret && s.Value != `""` && s.Value != "[]" {
			s.Value = masked
		} else {
			s.Value = redactURLPassword(s.Value)
		}
		out = append(out, s)
	}
	for key, v := range c.values {
		if _, table := v.(map[string]any); table {
			continue // an empty table, e.g. [plugins.local] with every key commented out
		}
		add(key, v, c.sources[key])
	}
	if slices.Contains(c.Auth.Providers, "local") && c.Plugins["local"]["users_file"] == "" {
		add("plugins.local.users_file", c.PluginSettings("local")["users_file"],
			Source{Kind: FromDefault, Name: "(storage.data_dir/users.json)"})
	}
	src := c.sources["plugins.engine"]
	for i, e := range c.Engines {
		p := fmt.Sprintf("plugins.engine[%d].", i)
		add(p+"name", e.Name, src)
		add(p+"path", e.Path, src)
		add(p+"sha256", e.SHA256, src)
		add(p+"workers", e.Workers, src)
		add(p+"args", e.Args, src)
		env := make([]string, len(e.Env))
		for j, kv := range e.Env {
			name, _, _ := strings.Cut(kv, "=")
			env[j] = kv
			if IsSecret("plugins.x." + strings.ToLower(name)) {
				env[j] = name + "=********"
			}
		}
		add(p+"env", env, src)
		for k, v := range e.Settings {
			add(p+"settings."+k, v, src)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// secretKeys are the core keys whose values are secrets.
var secretKeys = []string{"auth.token_key", "auth.token_keys_old", "metrics.token", "cluster.token", "cluster.password"}

// secretWords in the last part of a plugin setting's name mark it as a
// secret: client_secret, bind_password, api_token, private_key …
var secretWords = []string{"secret", "password", "passwd", "token", "credential", "private_key", "api_key", "apikey"}

// IsSecret tells whether key holds a secret that `ocrbox config check` must
// not print: the core keys auth.token_key, auth.token_keys_old and
// metrics.token, and plugin settings whose name contains secret, password,
// passwd, token, credential, private_key, api_key or apikey, or is "key" or
// ends in "_key". The http provider's map_* settings name fields of the
// API's answers (map_access_token = "access_token") and are not secrets;
// paths (tls_key, ca_file, users_file) are not either.
func IsSecret(key string) bool {
	if slices.Contains(secretKeys, key) {
		return true
	}
	if !strings.HasPrefix(key, "plugins.") {
		return false
	}
	name := strings.ToLower(key[strings.LastIndex(key, ".")+1:])
	if strings.HasPrefix(name, "map_") || name == "tls_key" {
		return false
	}
	for _, w := range secretWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return name == "key" || strings.HasSuffix(name, "_key")
}

// render writes v as config.toml would: strings quoted, numbers and
// booleans bare, lists in brackets. An environment variable's string for a
// numeric or boolean key (its default's type) is written bare.
func render(v, def any) string {
	switch x := v.(type) {
	case string:
		switch def.(type) {
		case int, int64, float64, bool:
			return x
		}
		return strconv.Quote(x)
	case []string:
		items := make([]string, len(x))
		for i, s := range x {
			items[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case []any:
		items := make([]string, len(x))
		for i, s := range x {
			items[i] = render(s, nil)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case nil:
		return `""`
	}
	return fmt.Sprint(v)
}

// redactURLPassword masks the password of a URL written as a value
// ("https://svc:pw@host" → "https://svc:xxxxx@host").
func redactURLPassword(quoted string) string {
	s, err := strconv.Unquote(quoted)
	if err != nil || !strings.Contains(s, "@") {
		return quoted
	}
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return quoted
	}
	if _, hasPassword := u.User.Password(); !hasPassword {
		return quoted
	}
	return strconv.Quote(u.Redacted())
}
