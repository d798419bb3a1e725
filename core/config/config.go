// Package config loads ocrbox's configuration with koanf: built-in defaults,
// then config.toml, then the environment (OCRBOX_<SECTION>_<KEY> and the
// legacy names of the original specification), then command-line flags.
// Invalid values fail at startup with a message that names the key.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
)

// Config is the whole configuration. Keys are documented in README.md.
type Config struct {
	Server  Server  `koanf:"server"`
	Storage Storage `koanf:"storage"`
	OCR     OCR     `koanf:"ocr"`
	Auth    Auth    `koanf:"auth"`
	Limits  Limits  `koanf:"limits"`
	History History `koanf:"history"`
	Metrics Metrics `koanf:"metrics"`
	Log     Log     `koanf:"log"`
	Cluster Cluster `koanf:"cluster"`
	// Plugins holds per-plugin settings tables, e.g. [plugins.tesseract].
	Plugins map[string]map[string]string `koanf:"plugins"`
	// Engines are the external engine plugins, [[plugins.engine]].
	Engines []ExternalEngine `koanf:"-"`

	// values are the effective keys ("server.listen") with the values as
	// loaded, and sources where each came from; see Effective.
	values  map[string]any
	sources map[string]Source
}

// Server configures the HTTP listener.
type Server struct {
	Listen          string        `koanf:"listen"`
	MaxUploadMB     int64         `koanf:"max_upload_mb"`
	ReadTimeout     time.Duration `koanf:"read_timeout"`
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
	// TrustProxy makes the client IP come from X-Forwarded-For and the
	// scheme from X-Forwarded-Proto — only for requests from TrustedProxies
	// (IPs or CIDRs); with that list empty, from any peer (not recommended).
	TrustProxy     bool     `koanf:"trust_proxy"`
	TrustedProxies []string `koanf:"trusted_proxies"`
	// TLSCert and TLSKey (PEM files) turn on built-in HTTPS; cookies are
	// then always Secure.
	TLSCert string `koanf:"tls_cert"`
	TLSKey  string `koanf:"tls_key"`
	// PublicURL is the base URL browsers use (e.g. https://ocr.example.org),
	// needed for the OIDC callback behind a proxy; empty = from the request.
	PublicURL string `koanf:"public_url"`
}

// Storage configures where data lives.
type Storage struct {
	DataDir string `koanf:"data_dir"`
	// CacheDir holds what can be made again (PDFium's compiled
	// WebAssembly); empty means data_dir/cache. Several servers (or test
	// runs) may share one: entries are written atomically.
	CacheDir string `koanf:"cache_dir"`
}

// CachePath is storage.cache_dir, or data_dir/cache when it is empty.
func (c *Config) CachePath() string {
	if c.Storage.CacheDir != "" {
		return c.Storage.CacheDir
	}
	return filepath.Join(c.Storage.DataDir, "cache")
}

// OCR configures the worker pool and the defaults of a task.
type OCR struct {
	Workers        int           `koanf:"workers"`
	DefaultEngine  string        `koanf:"default_engine"`
	DefaultLang    string        `koanf:"default_lang"`
	DefaultOutputs []string      `koanf:"default_outputs"`
	MaxAttempts    int           `koanf:"max_attempts"`
	PageTimeout    time.Duration `koanf:"page_timeout"`
	PDFDPI         int           `koanf:"pdf_dpi"`
	EngineHOCR     bool          `koanf:"engine_hocr"`
	// BuiltinEngines lists the built-in engines to run; empty runs them all.
	BuiltinEngines []string `koanf:"builtin_engines"`
	// Scheduling is how engine slots are shared: "fair" (between people,
	// core/fairshare) or "fifo" (one line for everyone, oldest first; kept
	// for comparison in benchmarks).
	Scheduling string `koanf:"scheduling"`
	// EngineNice is the CPU priority (nice value, 0..19) of the engine
	// processes and page decoders: below the HTTP server, so the API stays
	// quick while OCR keeps every core busy. 0 = the server's.
	EngineNice int `koanf:"engine_nice"`
	// EngineIdleTimeout stops an engine process after this long without a
	// page, giving its memory back; the next page starts it again (the
	// model load, ~0.2 s for tesseract). 0 keeps engines running.
	EngineIdleTimeout time.Duration `koanf:"engine_idle_timeout"`
	// ReviewConfidence: a completed task with a page whose mean word
	// confidence is below this (0..100) is marked for review (Task.Review:
	// "check the result"); 0 marks none.
	ReviewConfidence float64 `koanf:"review_confidence"`
	// LocalEngines runs engine processes in this server; false makes it a
	// pure coordinator that hands every page to cluster worker nodes.
	LocalEngines bool `koanf:"local_engines"`
}

// Cluster joins ocrbox worker nodes over NATS JetStream (core/cluster):
// with Listen, serve embeds a NATS server (its store in data_dir/nats);
// with URL it joins an existing NATS cluster. Both empty: no cluster.
type Cluster struct {
	// Listen is the embedded NATS server's address, e.g. "0.0.0.0:4222".
	Listen string `koanf:"listen"`
	// URL is an existing NATS server or cluster, e.g. "nats://nats1:4222".
	URL string `koanf:"url"`
	// Token authenticates nodes (the embedded server requires it; with URL
	// it is sent as the NATS token unless User is set).
	Token string `koanf:"token"`
	// User and Password authenticate to an existing NATS cluster.
	User     string `koanf:"user"`
	Password string `koanf:"password"`
	// NKeySeedFile is an NKey seed file for an existing NATS cluster.
	NKeySeedFile string `koanf:"nkey_seed_file"`
	// TLSCert and TLSKey serve (embedded) or present (client) TLS on the
	// node links; TLSCA verifies the other side.
	TLSCert string `koanf:"tls_cert"`
	TLSKey  string `koanf:"tls_key"`
	TLSCA   string `koanf:"tls_ca"`
	// NodeName names this node in logs, metrics and the workers list;
	// empty: the host name.
	NodeName string `koanf:"node_name"`
}

// Enabled reports whether the cluster is configured.
func (c Cluster) Enabled() bool { return c.Listen != "" || c.URL != "" }

// Auth configures sign-in and sessions.
type Auth struct {
	Providers          []string      `koanf:"providers"`
	SessionIdleTimeout time.Duration `koanf:"session_idle_timeout"`
	SessionLifetime    time.Duration `koanf:"session_lifetime"`
	CookieName         string        `koanf:"cookie_name"`
	CookieSecure       bool          `koanf:"cookie_secure"`
	// LoginRatePerMinute is the failed sign-ins per minute allowed for an
	// account from one network (5× per network, 2× per account from
	// everywhere; core/sessions/ratelimit.go); correct passwords are not
	// counted. 0 = no limit.
	LoginRatePerMinute int           `koanf:"login_rate_per_minute"`
	UserRecheck        time.Duration `koanf:"user_recheck_interval"`
	ProviderTimeout    time.Duration `koanf:"provider_timeout"`
	ProviderRetries    int           `koanf:"provider_retries"`
	BreakerFailures    int           `koanf:"breaker_failures"`
	BreakerOpen        time.Duration `koanf:"breaker_open"`
	// TokenKey is a base64 AES-256 key for provider tokens at rest; empty =
	// generated into data_dir/token.key. TokenKeysOld decrypt only (rotation).
	TokenKey           string        `koanf:"token_key"`
	TokenKeysOld       []string      `koanf:"token_keys_old"`
	TokenRefreshBuffer time.Duration `koanf:"token_refresh_buffer"`
	// LinkByVerifiedEmail names providers whose first sign-in of a person
	// may join an existing account with the same verified email.
	LinkByVerifiedEmail []string `koanf:"link_by_verified_email"`
	// LoginDeadline bounds one sign-in across providers and retries.
	LoginDeadline time.Duration `koanf:"login_deadline"`
	// OutageGrace: how long a session outlives its provider's tokens while
	// the provider cannot be reached to renew them.
	OutageGrace time.Duration `koanf:"outage_grace"`
	// SessionWithoutRefresh caps a session whose provider issued no
	// refresh token.
	SessionWithoutRefresh time.Duration `koanf:"session_without_refresh"`
}

// History configures the task history (search, stats, export).
type History struct {
	// Enabled turns the /history endpoints and the search index on; off,
	// they answer 404 feature_disabled. Also ENABLE_TASK_HISTORY and the
	// older key auth.enable_task_history.
	Enabled bool `koanf:"enabled"`
}

// Metrics configures the Prometheus endpoint GET /metrics.
type Metrics struct {
	Enabled bool `koanf:"enabled"`
	// Listen, when set (e.g. "127.0.0.1:9090"), serves /metrics on its own
	// listener instead of the main one.
	Listen string `koanf:"listen"`
	// Token, when set, must be sent as "Authorization: Bearer <token>".
	Token string `koanf:"token"`
}

// Limits protect the server from oversized or hostile input.
type Limits struct {
	MaxPages          int     `koanf:"max_pages"`
	MaxMegapixels     float64 `koanf:"max_megapixels"`
	MaxTasksPerUser   int     `koanf:"max_tasks_per_user"`
	MaxFilesPerUpload int     `koanf:"max_files_per_upload"`
	TaskRetentionDays int     `koanf:"task_retention_days"`
	// AuditRetentionDays is how long the audit trail keeps an event; 0 = forever.
	AuditRetentionDays int `koanf:"audit_retention_days"`
	// MaxStorageMBPerUser caps the task files (inputs and results) a user
	// keeps, in MB; 0 = unlimited.
	MaxStorageMBPerUser int64 `koanf:"max_storage_mb_per_user"`
	// MaxRunningPagesPerUser caps the pages one person has on the engines
	// at once; 0 = no cap (a person alone uses every engine).
	MaxRunningPagesPerUser int `koanf:"max_running_pages_per_user"`
	// UserWeights gives people a larger share of engine time when others
	// wait: "email=weight" entries, e.g. "scans@example.org=3"; everyone
	// else has weight 1.
	UserWeights []string `koanf:"user_weights"`
}

// Log configures logging.
type Log struct {
	Level  string `koanf:"level"`
	Format string `koanf:"format"` // auto | text | json
}

// Defaults are the values used when neither config.toml nor the
// environment set a key. The shipped config.toml repeats them.
func Defaults() map[string]any {
	return map[string]any{
		"server.listen":                     "127.0.0.1:8080",
		"server.max_upload_mb":              512,
		"server.read_timeout":               "10m",
		"server.shutdown_timeout":           "30s",
		"server.trust_proxy":                false,
		"server.public_url":                 "",
		"storage.data_dir":                  "./data",
		"storage.cache_dir":                 "",
		"ocr.workers":                       0,
		"ocr.default_engine":                "tesseract",
		"ocr.default_lang":                  "eng",
		"ocr.default_outputs":               []string{"txt", "hocr", "json", "pdf"},
		"ocr.builtin_engines":               []string{},
		"ocr.max_attempts":                  3,
		"ocr.page_timeout":                  "2m",
		"ocr.pdf_dpi":                       300,
		"ocr.engine_hocr":                   false,
		"ocr.scheduling":                    "fair",
		"ocr.engine_nice":                   10,
		"ocr.engine_idle_timeout":           "10m",
		"ocr.review_confidence":             60,
		"ocr.local_engines":                 true,
		"cluster.listen":                    "",
		"cluster.url":                       "",
		"cluster.token":                     "",
		"cluster.user":                      "",
		"cluster.password":                  "",
		"cluster.nkey_seed_file":            "",
		"cluster.tls_cert":                  "",
		"cluster.tls_key":                   "",
		"cluster.tls_ca":                    "",
		"cluster.node_name":                 "",
		"auth.providers":                    []string{"local"},
		"auth.session_idle_timeout":         "24h",
		"auth.session_lifetime":             "720h",
		"auth.cookie_name":                  "ocrbox_session",
		"auth.cookie_secure":                false,
		"auth.login_rate_per_minute":        10,
		"auth.user_recheck_interval":        "1m",
		"auth.provider_timeout":             "10s",
		"auth.provider_retries":             2,
		"auth.breaker_failures":             5,
		"auth.breaker_open":                 "30s",
		"auth.token_key":                    "",
		"auth.token_keys_old":               []string{},
		"auth.token_refresh_buffer":         "5m",
		"auth.link_by_verified_email":       []string{},
		"auth.outage_grace":                 "8h",
		"auth.login_deadline":               "10s",
		"auth.session_without_refresh":      "8h",
		"history.enabled":                   true,
		"server.trusted_proxies":            []string{},
		"server.tls_cert":                   "",
		"server.tls_key":                    "",
		"metrics.enabled":                   true,
		"metrics.listen":                    "",
		"metrics.token":                     "",
		"limits.max_pages":                  500,
		"limits.max_megapixels":             150.0,
		"limits.max_tasks_per_user":         0,
		"limits.max_files_per_upload":       20,
		"limits.task_retention_days":        0,
		"limits.audit_retention_days":       0,
		"limits.max_storage_mb_per_user":    0,
		"limits.max_running_pages_per_user": 0,
		"limits.user_weights":               []string{},
		"log.level":                         "info",
		"log.format":                        "auto",
	}
}

// legacyEnv maps the environment names of the original specification.
var legacyEnv = map[string]string{
	"EXTERNAL_AUTH_API_URL":  "plugins.http.external_auth_api_url",
	"EXTERNAL_AUTH_ENDPOINT": "plugins.http.external_auth_endpoint",
	"EXTERNAL_AUTH_TIMEOUT":  "plugins.http.external_auth_timeout",
	"TOKEN_REFRESH_BUFFER":   "auth.token_refresh_buffer",
	"TASK_RETENTION_DAYS":    "limits.task_retention_days",
	"MAX_TASKS_PER_USER":     "limits.max_tasks_per_user",
	"ENABLE_TASK_HISTORY":    "history.enabled",
}

// Load reads defaults ← path (if non-empty; a missing explicit file is an
// error) ← environ ← overrides (flags, already keyed like "server.listen").
// A key of the file or an OCRBOX_ variable that names no configuration key
// is an error, as is an invalid value; the error names the key and where it
// was set. Plugin tables ([plugins.NAME]) are taken as they are: the names
// and the settings are the plugins' to check (CheckSettings in each).
func Load(path string, environ []string, overrides map[string]any) (*Config, error) {
	k := koanf.New(".")
	defaults := Defaults()
	if err := k.Load(confmap.Provider(defaults, "."), nil); err != nil {
		return nil, fmt.Errorf("load defaults: %w", err)
	}
	sources := map[string]Source{}
	for key := range defaults {
		sources[key] = Source{Kind: FromDefault}
	}
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		f := koanf.New(".")
		if err := f.Load(file.Provider(path), toml.Parser()); err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
		if err := checkFileKeys(path, f.Keys()); err != nil {
			return nil, err
		}
		for _, key := range f.Keys() {
			sources[key] = Source{Kind: FromFile, Name: path}
		}
		// The first releases had the history flag under [auth].
		if f.Exists("auth.enable_task_history") {
			if err := f.Set("history.enabled", f.Get("auth.enable_task_history")); err != nil {
				return nil, fmt.Errorf("parse %s: %w", path, err)
			}
			f.Delete("auth.enable_task_history")
			delete(sources, "auth.enable_task_history")
			sources["history.enabled"] = Source{Kind: FromFile, Name: path + " (as auth.enable_task_history)"}
		}
		if err := k.Merge(f); err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
	}
	envMap, envNames, err := fromEnv(k, environ)
	if err != nil {
		return nil, err
	}
	if err := k.Load(confmap.Provider(envMap, "."), nil); err != nil {
		return nil, fmt.Errorf("load environment: %w", err)
	}
	for key, name := range envNames {
		sources[key] = Source{Kind: FromEnv, Name: name}
	}
	if len(overrides) > 0 {
		if err := k.Load(confmap.Provider(overrides, "."), nil); err != nil {
			return nil, fmt.Errorf("load flags: %w", err)
		}
		for key := range overrides {
			sources[key] = Source{Kind: FromFlag}
		}
	}
	engines, err := takeExternalEngines(k)
	if err != nil {
		return nil, err
	}
	c := Config{values: k.All(), sources: sources}
	if err := k.UnmarshalWithConf("", &c, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	c.Engines = engines
	if err := c.validate(); err != nil {
		var ke *KeyError
		if errors.As(err, &ke) && ke.Source == "" {
			ke.Source = c.Source(ke.Key).setBy()
		}
		return nil, err
	}
	return &c, nil
}

// fromEnv maps OCRBOX_* variables onto known keys, and returns the
// variable's name for each key it sets. The key list comes from the loaded
// tree, so OCRBOX_STORAGE_DATA_DIR is unambiguous even though both section
// and key contain underscores. Plugin tables accept any key:
// OCRBOX_PLUGINS_<NAME>_<KEY> sets plugins.<name>.<key> when no known key
// matches (the plugin refuses a key it does not know).
func fromEnv(k *koanf.Koanf, environ []string) (map[string]any, map[string]string, error) {
	known := map[string]string{}
	for _, key := range k.Keys() {
		known["OCRBOX_"+strings.ToUpper(strings.ReplaceAll(key, ".", "_"))] = key
	}
	out, names := map[string]any{}, map[string]string{}
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if key, ok := legacyEnv[name]; ok {
			out[key], names[key] = val, name
			continue
		}
		if !strings.HasPrefix(name, "OCRBOX_") {
			continue
		}
		if key, ok := known[name]; ok {
			out[key], names[key] = envValue(k, key, val), name
			continue
		}
		if rest, ok := strings.CutPrefix(name, "OCRBOX_PLUGINS_"); ok {
			plugin, key, ok := strings.Cut(rest, "_")
			if ok && plugin != "" && key != "" {
				full := "plugins." + strings.ToLower(plugin) + "." + strings.ToLower(key)
				out[full], names[full] = val, name
				continue
			}
		}
		if name == "OCRBOX_PLUGIN" || strings.HasPrefix(name, "OCRBOX_TEST") {
			continue // go-plugin's handshake cookie; test switches
		}
		msg := fmt.Sprintf("unknown environment variable %s: no such configuration key", name)
		envNames := make([]string, 0, len(known))
		for n := range known {
			envNames = append(envNames, n)
		}
		if near := closestName(name, envNames); near != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", near)
		}
		return nil, nil, errors.New(msg)
	}
	return out, names, nil
}

// envValue splits comma-separated lists for keys whose default is a list;
// items are trimmed and empty ones dropped, so "" is the empty list.
func envValue(k *koanf.Koanf, key, val string) any {
	if _, isList := k.Get(key).([]string); isList {
		parts := []string{}
		for p := range strings.SplitSeq(val, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		return parts
	}
	if _, isList := k.Get(key).([]any); isList {
		return strings.Split(val, ",")
	}
	return val
}

// EffectiveWorkers is ocr.workers, or the number of CPUs when it is 0.
func (c *Config) EffectiveWorkers() int {
	if c.OCR.Workers > 0 {
		return c.OCR.Workers
	}
	return runtime.NumCPU()
}
