// Package app is the composition root: it builds every service once from
// the configuration and runs the server until its context ends.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ocrbox/ocrbox/core/accounts"
	"github.com/ocrbox/ocrbox/core/admin"
	"github.com/ocrbox/ocrbox/core/authguard"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/engines"
	filesvc "github.com/ocrbox/ocrbox/core/files"
	"github.com/ocrbox/ocrbox/core/httpapi"
	"github.com/ocrbox/ocrbox/core/janitor"
	"github.com/ocrbox/ocrbox/core/metrics"
	"github.com/ocrbox/ocrbox/core/orphans"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/core/sessions"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/core/tokenvault"
	"github.com/ocrbox/ocrbox/core/worker"
	"github.com/ocrbox/ocrbox/plugins/builtin"
	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/ui"
)

// DBPath is the bbolt file inside the data directory.
func DBPath(cfg *config.Config) string { return filepath.Join(cfg.Storage.DataDir, "ocrbox.db") }

// openStore opens the database, creating the data directory on first run.
func openStore(ctx context.Context, cfg *config.Config) (*boltstore.Store, error) {
	if err := os.MkdirAll(cfg.Storage.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.Storage.DataDir, err)
	}
	st, err := boltstore.Open(ctx, DBPath(cfg), boltstore.Options{})
	if errors.Is(err, boltstore.ErrSchemaTooNew) {
		return nil, fmt.Errorf("%w\n  The data in %s was written by a newer ocrbox. Run that version again, or restore a backup made before the upgrade (`ocrbox restore FILE --data-dir NEW_DIR`; `ocrbox migrate` saves one in %s before every schema change)",
			err, cfg.Storage.DataDir, filepath.Join(cfg.Storage.DataDir, "backups"))
	}
	return st, err
}

// Migrate brings the database schema up to date, saving a backup of the
// data directory first when there is something to migrate (its path is
// returned, "" otherwise).
func Migrate(ctx context.Context, cfg *config.Config, version string, log *slog.Logger) (from, to int, saved string, err error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return 0, 0, "", err
	}
	defer st.Close()
	return migrate(ctx, cfg, st, version, log)
}

func migrate(ctx context.Context, cfg *config.Config, st *boltstore.Store, version string, log *slog.Logger) (from, to int, saved string, err error) {
	if saved, err = preMigrationBackup(ctx, cfg, st, version, log); err != nil {
		return 0, 0, "", err
	}
	from, to, err = st.Migrate(ctx)
	return from, to, saved, err
}

// Serve runs ocrbox until ctx ends, then shuts down gracefully: stop
// accepting requests, let running pages finish up to the shutdown timeout,
// re-queue the rest, close plugins and storage.
func Serve(ctx context.Context, cfg *config.Config, version string, log *slog.Logger) error {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	from, to, _, err := migrate(ctx, cfg, store, version, log)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	if from != to {
		log.Info("database schema migrated", "from", from, "to", to)
	}
	files, err := filestore.New(filepath.Join(cfg.Storage.DataDir, "files"))
	if err != nil {
		return err
	}

	met := metrics.New(version)
	workers := cfg.EffectiveWorkers()
	engCfgs, err := engineConfigs(cfg, workers)
	if err != nil {
		return err
	}
	pool, err := engines.Start(ctx, engCfgs, log)
	if err != nil {
		return err
	}
	defer pool.Close()

	providers, err := startProviders(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		for _, p := range providers {
			p.Kill()
		}
	}()

	limits := pages.Limits{MaxPages: cfg.Limits.MaxPages, MaxMegapixels: cfg.Limits.MaxMegapixels, PDFDPI: cfg.OCR.PDFDPI}
	broker := tasks.NewBroker()
	hist, err := openHistory(ctx, cfg, store, files, broker, log)
	if err != nil {
		return err
	}
	defer hist.close(log) // on early returns; a no-op after the shutdown below
	var outputs []domain.FileKind
	for _, o := range cfg.OCR.DefaultOutputs {
		outputs = append(outputs, domain.FileKind(o))
	}
	maxUpload := cfg.Server.MaxUploadMB << 20
	taskSvc := tasks.NewService(store, files, pool, nil, hist.events, pages.Sniff, inspector(limits), boltstore.NewID,
		tasks.Options{DefaultEngine: cfg.OCR.DefaultEngine, DefaultLang: cfg.OCR.DefaultLang,
			DefaultOutputs: outputs, MaxUploadBytes: maxUpload, MaxTasksPerUser: cfg.Limits.MaxTasksPerUser,
			MaxStorageBytesPerUser: cfg.Limits.MaxStorageMBPerUser << 20, Observer: met})
	wk := worker.New(store, files, pool, hist.events, worker.Options{Workers: workers, MaxAttempts: cfg.OCR.MaxAttempts,
		PageTimeout: cfg.OCR.PageTimeout, Limits: limits, NewID: boltstore.NewID, EngineHOCR: cfg.OCR.EngineHOCR, Observer: met}, log)
	taskSvc.SetRunner(wk)
	taskSvc.SetSearcher(hist.searcher())
	fileSvc := filesvc.NewService(store, files, log)
	adminSrv, err := listenAdmin(cfg, admin.Deps{
		Accounts: accounts.NewService(store, files, hist.deindexer(), wk, log),
		Backup:   func(ctx context.Context, w io.Writer) error { return writeBackup(ctx, cfg, store, version, w) },
	}, log)
	if err != nil {
		return err
	}
	defer shutdownAdmin(adminSrv, time.Second) // on early returns; a no-op after the shutdown below

	var provs []sessions.Provider
	var guards []*authguard.Provider
	for _, p := range providers {
		timeout := cfg.Auth.ProviderTimeout
		if d, err := time.ParseDuration(cfg.Plugins[p.Name()]["external_auth_timeout"]); err == nil && d > 0 {
			timeout = d // the http provider's own setting (EXTERNAL_AUTH_TIMEOUT)
		}
		g := authguard.New(p.Name(), p, authguard.Options{
			Timeout: timeout, Retries: uint64(cfg.Auth.ProviderRetries),
			TripAfter: uint32(cfg.Auth.BreakerFailures), OpenFor: cfg.Auth.BreakerOpen,
		}, log)
		guards = append(guards, g)
		provs = append(provs, g)
	}
	vault, err := openVault(cfg)
	if err != nil {
		return err
	}
	sessSvc := sessions.NewService(store, vault, provs, sessions.Options{IdleTimeout: cfg.Auth.SessionIdleTimeout,
		RefreshBuffer: cfg.Auth.TokenRefreshBuffer,
		Lifetime:      cfg.Auth.SessionLifetime, LoginRatePerMinute: cfg.Auth.LoginRatePerMinute,
		UserRecheck: cfg.Auth.UserRecheck, Observer: met}, log)
	watchState(met, cfg, store, pool, providers, guards)
	var metricsHandler = met.Handler()
	if !cfg.Metrics.Enabled || cfg.Metrics.Listen != "" {
		metricsHandler = nil // off, or on its own listener
	}
	stopMetrics, err := serveMetrics(cfg, met, log)
	if err != nil {
		return err
	}
	defer stopMetrics()

	ready := func(ctx context.Context) error {
		if _, err := store.SchemaVersion(ctx); err != nil {
			return errors.New("storage unavailable")
		}
		if !pool.Alive() {
			return errors.New("an OCR engine process is down")
		}
		return nil
	}
	api := httpapi.New(sessSvc, taskSvc, fileSvc, pool, ready, httpapi.Options{
		MaxUploadBytes: maxUpload, MaxFilesPerUpload: cfg.Limits.MaxFilesPerUpload,
		ReadTimeout: cfg.Server.ReadTimeout, CookieName: cfg.Auth.CookieName, CookieSecure: cfg.Auth.CookieSecure || cfg.Server.TLSCert != "",
		SessionLifetime: cfg.Auth.SessionLifetime, TrustProxy: cfg.Server.TrustProxy, TrustedProxies: cfg.Server.TrustedProxies, PublicURL: cfg.Server.PublicURL, UI: ui.FS(),
		History: hist.api(), Metrics: met, MetricsHandler: metricsHandler, MetricsToken: cfg.Metrics.Token,
	}, log)

	ln, err := listen(cfg, log)
	if err != nil {
		return err
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	// Check often enough that a token is renewed well inside its buffer.
	go sessSvc.RunRefresher(workCtx, min(30*time.Second, max(cfg.Auth.TokenRefreshBuffer/2, time.Second)))
	workDone := make(chan error, 1)
	go func() { workDone <- wk.Run(workCtx) }()
	hist.start(ctx, log)
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		olog := log.With("component", "orphans")
		if n, err := orphans.Sweep(workCtx, store, files, orphans.Options{}, olog); err != nil && workCtx.Err() == nil {
			olog.Warn("sweep for orphaned task directories failed", "error", err)
		} else if n > 0 {
			olog.Info("removed task directories left by a crash", "count", n)
		}
	}()
	janitorDone := make(chan struct{})
	if days := cfg.Limits.TaskRetentionDays; days > 0 {
		jan := janitor.New(store, files, hist.deindexer(), janitor.Options{Retention: time.Duration(days) * 24 * time.Hour}, log)
		go func() { defer close(janitorDone); jan.Run(workCtx) }()
	} else {
		close(janitorDone)
	}
	if adminSrv != nil {
		go func() {
			if err := adminSrv.Serve(); err != nil {
				log.Error("admin socket stopped", "error", err)
			}
		}()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- api.Listener(ln) }()
	log.Info("ocrbox serving", "version", version, "listen", ln.Addr().String(), "https", cfg.Server.TLSCert != "",
		"data_dir", cfg.Storage.DataDir, "workers", workers)

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		shutdownAdmin(adminSrv, cfg.Server.ShutdownTimeout)
		stopWork()
		<-workDone
		<-sweepDone
		<-janitorDone
		return fmt.Errorf("http server: %w", err)
	}
	// Graceful stop within server.shutdown_timeout: no new requests, tasks
	// or pages; open requests and the pages being recognised may finish;
	// at the deadline what is left is interrupted, and every unfinished
	// task goes back to the queue with its finished pages kept.
	deadline := time.Now().Add(cfg.Server.ShutdownTimeout)
	log.Info("shutting down", "deadline", cfg.Server.ShutdownTimeout.String(), "tasks_running", wk.Running())
	wk.Drain()
	httpDone := make(chan struct{})
	go func() {
		_ = api.ShutdownWithTimeout(cfg.Server.ShutdownTimeout)
		shutdownAdmin(adminSrv, cfg.Server.ShutdownTimeout)
		close(httpDone)
	}()
	select {
	case <-workDone:
		workDone = nil
	case <-time.After(time.Until(deadline)):
		log.Warn("pages still running at the shutdown deadline are interrupted; their tasks are re-queued")
	}
	stopWork()
	if workDone != nil {
		select {
		case <-workDone:
		case <-time.After(5 * time.Second):
			log.Warn("worker did not stop in time; unfinished tasks are re-queued at next start")
		}
	}
	<-httpDone
	<-sweepDone
	<-janitorDone   // a sweep finishes its current batch: one short transaction
	hist.close(log) // after everything that publishes task updates
	log.Info("stopped")
	return nil
}

// inspector counts pages and checks limits from headers at upload time.
func inspector(lim pages.Limits) tasks.Inspector {
	return func(ctx context.Context, path, contentType string) (int, error) {
		doc, err := pages.Open(ctx, path, contentType, lim)
		if err != nil {
			return 0, err
		}
		defer doc.Close()
		return doc.PageCount(), nil
	}
}

func startProviders(ctx context.Context, cfg *config.Config, log *slog.Logger) ([]*host.Process, error) {
	var out []*host.Process
	for _, name := range cfg.Auth.Providers {
		b, ok := builtin.Lookup(name)
		if !ok || b.Kind != sdk.KindAuth {
			return nil, &config.KeyError{Key: "auth.providers", Reason: fmt.Sprintf("unknown auth provider %q (built in: %v)", name, builtin.Names(sdk.KindAuth))}
		}
		settings := map[string]string{}
		for k, v := range cfg.Plugins[name] {
			settings[k] = v
		}
		if name == "local" && settings["users_file"] == "" {
			settings["users_file"] = filepath.Join(cfg.Storage.DataDir, "users.json")
		}
		p, err := host.Start(ctx, host.Spec{Name: name, Kind: sdk.KindAuth, Settings: settings}, log)
		if err != nil {
			for _, q := range out {
				q.Kill()
			}
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// openVault builds the provider-token vault: auth.token_key if set, else a
// key generated once into data_dir/token.key (0600); auth.token_keys_old
// still decrypt after a rotation.
func openVault(cfg *config.Config) (*tokenvault.Vault, error) {
	var primary []byte
	var err error
	if cfg.Auth.TokenKey != "" {
		if primary, err = tokenvault.ParseKey(cfg.Auth.TokenKey); err != nil {
			return nil, &config.KeyError{Key: "auth.token_key", Reason: err.Error()}
		}
	} else if primary, err = tokenvault.LoadOrCreateKeyFile(filepath.Join(cfg.Storage.DataDir, "token.key")); err != nil {
		return nil, err
	}
	var old [][]byte
	for _, s := range cfg.Auth.TokenKeysOld {
		k, err := tokenvault.ParseKey(s)
		if err != nil {
			return nil, &config.KeyError{Key: "auth.token_keys_old", Reason: err.Error()}
		}
		old = append(old, k)
	}
	return tokenvault.New(primary, old...)
}

// EngineInfos starts each built-in engine once and returns what it says
// about itself (for `ocrbox version`).
func EngineInfos(ctx context.Context, log *slog.Logger) ([]*sdk.EngineInfo, error) {
	var cfgs []engines.Config
	for _, name := range builtin.Names(sdk.KindEngine) {
		cfgs = append(cfgs, engines.Config{Processes: 1, Spec: host.Spec{Name: name, Kind: sdk.KindEngine}})
	}
	pool, err := engines.Start(ctx, cfgs, log)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	return pool.Infos(ctx), nil
}

// listen opens the main listener: plain TCP, or TLS with server.tls_cert
// and server.tls_key (TLS 1.2 and later).
func listen(cfg *config.Config, log *slog.Logger) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (server.listen): %w", cfg.Server.Listen, err)
	}
	if cfg.Server.TLSCert == "" {
		if cfg.Server.TrustProxy && len(cfg.Server.TrustedProxies) == 0 {
			log.Warn("server.trust_proxy is on for every peer: anyone who reaches the port directly can choose their client IP; list the proxy in server.trusted_proxies")
		}
		return ln, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.Server.TLSCert, cfg.Server.TLSKey)
	if err != nil {
		ln.Close()
		return nil, &config.KeyError{Key: "server.tls_cert", Reason: err.Error()}
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

// engineConfigs lists the engines to run: the built-ins of
// ocr.builtin_engines (all when empty) and every [[plugins.engine]].
func engineConfigs(cfg *config.Config, workers int) ([]engines.Config, error) {
	all := builtin.Names(sdk.KindEngine)
	names := cfg.OCR.BuiltinEngines
	if len(names) == 0 {
		names = all
	}
	var out []engines.Config
	run := map[string]bool{}
	for _, name := range names {
		if !slices.Contains(all, name) {
			return nil, &config.KeyError{Key: "ocr.builtin_engines", Reason: fmt.Sprintf("no built-in engine %q (built in: %v)", name, all)}
		}
		run[name] = true
		out = append(out, engines.Config{Processes: workers,
			Spec: host.Spec{Name: name, Kind: sdk.KindEngine, Settings: cfg.Plugins[name]}})
	}
	for i, e := range cfg.Engines {
		if slices.Contains(all, e.Name) {
			return nil, &config.KeyError{Key: fmt.Sprintf("plugins.engine[%d].name", i), Reason: fmt.Sprintf("%q is a built-in engine's name; choose another", e.Name)}
		}
		n := e.Workers
		if n == 0 {
			n = workers
		}
		run[e.Name] = true
		out = append(out, engines.Config{Processes: n, Spec: host.Spec{Name: e.Name, Kind: sdk.KindEngine,
			Path: e.Path, Args: e.Args, Env: e.Env, SHA256: e.Checksum(), Settings: e.Settings}})
	}
	if !run[cfg.OCR.DefaultEngine] {
		return nil, &config.KeyError{Key: "ocr.default_engine", Reason: fmt.Sprintf("%q is not among the engines this server runs", cfg.OCR.DefaultEngine)}
	}
	return out, nil
}
