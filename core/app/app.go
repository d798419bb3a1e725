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
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/engines"
	"github.com/ocrbox/ocrbox/core/metrics"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/core/tokenvault"
	"github.com/ocrbox/ocrbox/plugins/builtin"
	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/filestore"
)

// DBPath is the bbolt file inside the data directory.
func DBPath(cfg *config.Config) string { return filepath.Join(cfg.Storage.DataDir, "ocrbox.db") }

// openStore opens the database, creating the data directory on first run.
func openStore(ctx context.Context, cfg *config.Config) (*boltstore.Store, error) {
	if err := os.MkdirAll(cfg.Storage.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.Storage.DataDir, err)
	}
	if err := privateDir(cfg.Storage.DataDir); err != nil {
		return nil, err
	}
	st, err := boltstore.Open(ctx, DBPath(cfg), boltstore.Options{})
	if errors.Is(err, boltstore.ErrSchemaTooNew) {
		return nil, fmt.Errorf("%w\n  The data in %s was written by a newer ocrbox. Run that version again, or restore a backup made before the upgrade (`ocrbox restore FILE --data-dir NEW_DIR`; `ocrbox migrate` saves one in %s before every schema change)",
			err, cfg.Storage.DataDir, filepath.Join(cfg.Storage.DataDir, "backups"))
	}
	return st, err
}

// privateDir makes the data directory 0700: it holds every user's files,
// the token key and the admin socket, and one made by hand (or by an older
// release) may be readable by others.
func privateDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory %s: %w", dir, err)
	}
	if fi.Mode().Perm() == 0o700 {
		return nil
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("data directory %s is %04o and cannot be made 0700 (run ocrbox as its owner): %w", dir, fi.Mode().Perm(), err)
	}
	return nil
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
// re-queue the rest, close plugins and storage. The pieces are built in
// wiring.go; this is the order they start and stop in.
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
	coord, err := startCoordinator(ctx, cfg, log)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if coord != nil {
		defer coord.Close()
	}
	eng := &engineSet{remote: coord}
	if cfg.OCR.LocalEngines {
		engCfgs, err := engineConfigs(cfg, workers)
		if err != nil {
			return err
		}
		if eng.pool, err = engines.Start(ctx, engCfgs, log); err != nil {
			return err
		}
	}
	defer eng.Close()
	auth, err := startAuth(ctx, cfg, store, met, log)
	if err != nil {
		return err
	}
	defer auth.kill()
	hist, err := openHistory(ctx, cfg, store, files, tasks.NewBroker(), log)
	if err != nil {
		return err
	}
	defer hist.close(log) // on early returns; a no-op after the shutdown below
	taskSvc, wk := newTaskRunner(cfg, store, files, eng, hist, met, workers, log)
	adminSrv, err := listenAdmin(cfg, admin.Deps{
		Accounts: accounts.NewService(store, files, hist.deindexer(), wk, log),
		Backup:   func(ctx context.Context, w io.Writer) error { return writeBackup(ctx, cfg, store, version, w) },
		Link:     store.LinkIdentity,
		Users:    func(ctx context.Context) ([]admin.UserEntry, error) { return userEntries(ctx, store) },
	}, log)
	if err != nil {
		return err
	}
	defer shutdownAdmin(adminSrv, time.Second) // on early returns; a no-op after the shutdown below
	watchState(met, cfg, store, eng, auth.processes, auth.guards)
	stopMetrics, err := serveMetrics(cfg, met, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	api := newAPI(cfg, store, eng, auth.sessions, taskSvc, newFileService(cfg, store, files, log), hist, met, log)
	ln, err := listen(cfg)
	if err != nil {
		return err
	}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	bg := startBackground(workCtx, cfg, store, files, auth.sessions, wk, hist, log)
	hist.start(ctx, log)
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
		"data_dir", cfg.Storage.DataDir, "workers", eng.localWorkers(workers), "cluster", clusterRole(cfg))

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		shutdownAdmin(adminSrv, cfg.Server.ShutdownTimeout)
		stopWork()
		bg.wait()
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
	drained := bg.waitWorker(time.Until(deadline))
	if !drained {
		log.Warn("pages still running at the shutdown deadline are interrupted; their tasks are re-queued")
	}
	stopWork()
	if !drained && !bg.waitWorker(5*time.Second) {
		log.Warn("worker did not stop in time; unfinished tasks are re-queued at next start")
	}
	<-httpDone
	bg.wait()       // the orphan sweep and the janitor finish their current batch
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
func listen(cfg *config.Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (server.listen): %w", cfg.Server.Listen, err)
	}
	if cfg.Server.TLSCert == "" {
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
		out = append(out, engines.Config{Processes: workers, IdleTimeout: cfg.OCR.EngineIdleTimeout,
			Spec: host.Spec{Name: name, Kind: sdk.KindEngine, Settings: cfg.PluginSettings(name), Nice: cfg.OCR.EngineNice}})
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
		out = append(out, engines.Config{Processes: n, IdleTimeout: cfg.OCR.EngineIdleTimeout, Spec: host.Spec{Name: e.Name, Kind: sdk.KindEngine,
			Path: e.Path, Args: e.Args, Env: e.Env, SHA256: e.Checksum(), Settings: e.Settings, Nice: cfg.OCR.EngineNice}})
	}
	if !run[cfg.OCR.DefaultEngine] {
		return nil, &config.KeyError{Key: "ocr.default_engine", Reason: fmt.Sprintf("%q is not among the engines this server runs", cfg.OCR.DefaultEngine)}
	}
	return out, nil
}
