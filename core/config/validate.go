package config

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
)

// KeyError is a configuration error that names the offending key.
type KeyError struct {
	Key    string
	Reason string
	// Source says where the value came from ("config.toml", "environment
	// variable OCRBOX_OCR_PDF_DPI"); empty for a default or when unknown.
	Source string
}

func (e *KeyError) Error() string {
	if e.Source != "" {
		return fmt.Sprintf("config key %s (from %s): %s", e.Key, e.Source, e.Reason)
	}
	return fmt.Sprintf("config key %s: %s", e.Key, e.Reason)
}

func (c *Config) validate() error {
	bad := func(key, format string, args ...any) error {
		return &KeyError{Key: key, Reason: fmt.Sprintf(format, args...)}
	}
	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		return bad("server.listen", "%q is not host:port", c.Server.Listen)
	}
	if c.Server.MaxUploadMB <= 0 {
		return bad("server.max_upload_mb", "must be > 0, got %d", c.Server.MaxUploadMB)
	}
	if c.Server.ReadTimeout <= 0 {
		return bad("server.read_timeout", "must be a positive duration")
	}
	for _, p := range c.Server.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return bad("server.trusted_proxies", "%q is neither an IP address nor a CIDR range", p)
			}
		}
	}
	if c.Server.TrustProxy && len(c.Server.TrustedProxies) == 0 {
		// Every peer would be believed: anyone who reaches the port could
		// choose their client IP (audit trail, per-IP sign-in limit).
		return bad("server.trust_proxy", "is true but server.trusted_proxies is empty: list the proxies' addresses "+
			"(IPs or CIDRs, e.g. [\"127.0.0.1\"]), or X-Forwarded-For would be believed from anyone")
	}
	if (c.Server.TLSCert == "") != (c.Server.TLSKey == "") {
		return bad("server.tls_cert", "set both server.tls_cert and server.tls_key for HTTPS, or neither")
	}
	if strings.TrimSpace(c.Storage.DataDir) == "" {
		return bad("storage.data_dir", "must not be empty")
	}
	if c.OCR.Workers < 0 || c.OCR.Workers > 256 {
		return bad("ocr.workers", "must be 0 (= number of CPUs) to 256, got %d", c.OCR.Workers)
	}
	if c.OCR.DefaultEngine == "" {
		return bad("ocr.default_engine", "must not be empty")
	}
	if c.OCR.DefaultLang == "" {
		return bad("ocr.default_lang", "must not be empty")
	}
	known := []string{"txt", "hocr", "json", "pdf"}
	if len(c.OCR.DefaultOutputs) == 0 {
		return bad("ocr.default_outputs", "must list at least one of %v", known)
	}
	for _, o := range c.OCR.DefaultOutputs {
		if !slices.Contains(known, o) {
			return bad("ocr.default_outputs", "unknown output %q (known: %v)", o, known)
		}
	}
	if c.OCR.MaxAttempts < 1 || c.OCR.MaxAttempts > 20 {
		return bad("ocr.max_attempts", "must be 1 to 20, got %d", c.OCR.MaxAttempts)
	}
	if c.OCR.PageTimeout <= 0 {
		return bad("ocr.page_timeout", "must be a positive duration")
	}
	if c.OCR.PDFDPI < 72 || c.OCR.PDFDPI > 1200 {
		return bad("ocr.pdf_dpi", "must be 72 to 1200, got %d", c.OCR.PDFDPI)
	}
	if c.OCR.ReviewConfidence < 0 || c.OCR.ReviewConfidence > 100 {
		return bad("ocr.review_confidence", "must be 0 to 100 (0: never mark a task for review), got %g", c.OCR.ReviewConfidence)
	}
	if err := c.Cluster.validate(c.OCR.LocalEngines); err != nil {
		return err
	}
	if len(c.Auth.Providers) == 0 {
		return bad("auth.providers", "must list at least one provider")
	}
	if c.Auth.SessionIdleTimeout <= 0 || c.Auth.SessionLifetime <= 0 {
		return bad("auth.session_idle_timeout", "session timeouts must be positive durations")
	}
	if c.Auth.CookieName == "" {
		return bad("auth.cookie_name", "must not be empty")
	}
	if c.Auth.LoginRatePerMinute < 0 {
		return bad("auth.login_rate_per_minute", "must be ≥ 0")
	}
	if c.Auth.UserRecheck < 0 {
		return bad("auth.user_recheck_interval", "must be ≥ 0 (0 = on every request)")
	}
	if c.Auth.ProviderTimeout <= 0 {
		return bad("auth.provider_timeout", "must be a positive duration")
	}
	if c.Auth.ProviderRetries < 0 || c.Auth.ProviderRetries > 10 {
		return bad("auth.provider_retries", "must be 0 to 10")
	}
	if c.Auth.BreakerFailures < 1 {
		return bad("auth.breaker_failures", "must be ≥ 1")
	}
	if c.Auth.BreakerOpen <= 0 {
		return bad("auth.breaker_open", "must be a positive duration")
	}
	if c.Limits.MaxPages < 1 {
		return bad("limits.max_pages", "must be ≥ 1, got %d", c.Limits.MaxPages)
	}
	if c.Limits.MaxMegapixels <= 0 {
		return bad("limits.max_megapixels", "must be > 0")
	}
	if c.Limits.MaxTasksPerUser < 0 {
		return bad("limits.max_tasks_per_user", "must be ≥ 0 (0 = unlimited)")
	}
	if c.Limits.MaxFilesPerUpload < 1 {
		return bad("limits.max_files_per_upload", "must be ≥ 1")
	}
	if c.Limits.TaskRetentionDays < 0 {
		return bad("limits.task_retention_days", "must be ≥ 0 (0 = keep forever)")
	}
	if c.Limits.AuditRetentionDays < 0 {
		return bad("limits.audit_retention_days", "must be ≥ 0 (0 = keep forever)")
	}
	if c.Limits.MaxStorageMBPerUser < 0 {
		return bad("limits.max_storage_mb_per_user", "must be ≥ 0 (0 = unlimited)")
	}
	if c.Limits.MaxRunningPagesPerUser < 0 {
		return bad("limits.max_running_pages_per_user", "must be ≥ 0 (0 = no cap)")
	}
	if _, err := c.Limits.Weights(); err != nil {
		return bad("limits.user_weights", "%v", err)
	}
	if c.OCR.EngineNice < 0 || c.OCR.EngineNice > 19 {
		return bad("ocr.engine_nice", "must be 0..19 (0 = the server's priority)")
	}
	if c.OCR.EngineIdleTimeout < 0 || (c.OCR.EngineIdleTimeout > 0 && c.OCR.EngineIdleTimeout < time.Second) {
		return bad("ocr.engine_idle_timeout", "must be 0 (keep engines running) or at least 1s, got %s", c.OCR.EngineIdleTimeout)
	}
	switch c.OCR.Scheduling {
	case "fair", "fifo":
	default:
		return bad("ocr.scheduling", "must be fair or fifo, got %q", c.OCR.Scheduling)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return bad("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "auto", "text", "json":
	default:
		return bad("log.format", "must be auto, text or json, got %q", c.Log.Format)
	}
	return validateEngines(c.Engines, nil) // the built-in names are checked at start
}

// validate checks the [cluster] keys: one of listen and url, an address
// that parses, a token for an embedded server that listens beyond
// loopback, TLS files in pairs, and some engine to run pages on.
func (c Cluster) validate(localEngines bool) error {
	bad := func(key, format string, args ...any) error {
		return &KeyError{Key: key, Reason: fmt.Sprintf(format, args...)}
	}
	if c.Listen != "" && c.URL != "" {
		return bad("cluster.listen", "set cluster.listen (embed a NATS server) or cluster.url (join an existing one), not both")
	}
	if c.Listen != "" {
		host, _, err := net.SplitHostPort(c.Listen)
		if err != nil {
			return bad("cluster.listen", "%q is not host:port", c.Listen)
		}
		if ip := net.ParseIP(host); c.Token == "" && (ip == nil || !ip.IsLoopback()) {
			return bad("cluster.token", "is empty but cluster.listen %q accepts nodes from the network: set a long random token "+
				"(every worker passes it with --token)", c.Listen)
		}
	}
	if c.URL != "" && !strings.HasPrefix(c.URL, "nats://") && !strings.HasPrefix(c.URL, "tls://") {
		return bad("cluster.url", "%q is not a nats:// or tls:// URL", c.URL)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return bad("cluster.tls_cert", "set both cluster.tls_cert and cluster.tls_key, or neither")
	}
	if (c.User == "") != (c.Password == "") {
		return bad("cluster.user", "set both cluster.user and cluster.password, or neither")
	}
	if !localEngines && !c.Enabled() {
		return &KeyError{Key: "ocr.local_engines", Reason: "is false but no cluster is configured: pages would never run " +
			"(set cluster.listen or cluster.url, or ocr.local_engines = true)"}
	}
	return nil
}
