package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/authguard"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/downloads"
	"github.com/ocrbox/ocrbox/core/httpapi"
	"github.com/ocrbox/ocrbox/core/janitor"
	"github.com/ocrbox/ocrbox/core/metrics"
	"github.com/ocrbox/ocrbox/core/orphans"
	"github.com/ocrbox/ocrbox/core/pagehelper"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/core/sessions"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/core/worker"
	"github.com/ocrbox/ocrbox/plugins/builtin"
	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/ui"
)

// The builders Serve wires together, one per concern.

// authParts are the sign-in providers' processes, their guards and the
// session service over them.
type authParts struct {
	processes []*host.Process
	guards    []*authguard.Provider
	sessions  *sessions.Service
}

// kill stops the provider processes.
func (a *authParts) kill() {
	for _, p := range a.processes {
		p.Kill()
	}
}

// startAuth starts the auth.providers plugins, wraps each in a guard
// (timeout, retries, circuit breaker) and builds the session service.
func startAuth(ctx context.Context, cfg *config.Config, store *boltstore.Store, met *metrics.Metrics, log *slog.Logger) (*authParts, error) {
	procs, err := startProviders(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a := &authParts{processes: procs}
	var provs []sessions.Provider
	for _, p := range procs {
		timeout := cfg.Auth.ProviderTimeout
		if d, err := time.ParseDuration(cfg.Plugins[p.Name()]["external_auth_timeout"]); err == nil && d > 0 {
			timeout = d // the http provider's own setting (EXTERNAL_AUTH_TIMEOUT)
		}
		g := authguard.New(p.Name(), p, authguard.Options{
			Timeout: timeout, Retries: uint64(cfg.Auth.ProviderRetries),
			TripAfter: uint32(cfg.Auth.BreakerFailures), OpenFor: cfg.Auth.BreakerOpen,
		}, log)
		a.guards = append(a.guards, g)
		provs = append(provs, g)
	}
	vault, err := openVault(cfg)
	if err != nil {
		a.kill()
		return nil, err
	}
	a.sessions = sessions.NewService(store, vault, provs, sessions.Options{IdleTimeout: cfg.Auth.SessionIdleTimeout,
		RefreshBuffer: cfg.Auth.TokenRefreshBuffer, Lifetime: cfg.Auth.SessionLifetime,
		LoginRatePerMinute: cfg.Auth.LoginRatePerMinute, UserRecheck: cfg.Auth.UserRecheck, Observer: met,
		LinkByVerifiedEmail: cfg.Auth.LinkByVerifiedEmail,
		OutageGrace:         cfg.Auth.OutageGrace, WithoutRefresh: cfg.Auth.SessionWithoutRefresh,
		LoginDeadline: cfg.Auth.LoginDeadline,
		// The built-in providers whose accounts the organisation manages.
		DirectoryProviders: []string{"local", "ldap", "http"}}, log)
	return a, nil
}

func startProviders(ctx context.Context, cfg *config.Config, log *slog.Logger) ([]*host.Process, error) {
	var out []*host.Process
	for _, name := range cfg.Auth.Providers {
		b, ok := builtin.Lookup(name)
		if !ok || b.Kind != sdk.KindAuth {
			return nil, &config.KeyError{Key: "auth.providers", Reason: fmt.Sprintf("unknown auth provider %q (built in: %v)", name, builtin.Names(sdk.KindAuth))}
		}
		p, err := host.Start(ctx, host.Spec{Name: name, Kind: sdk.KindAuth, Settings: cfg.PluginSettings(name)}, log)
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

// helperMinTimeout is the least time a page helper gets: a page decodes
// in well under a second, but the helper's start-up alone can pass a short
// engine page timeout on a loaded machine (as worker.New's default).
const helperMinTimeout = 30 * time.Second

// newTaskRunner builds the task service and the worker that runs its
// tasks (each needs the other).
func newTaskRunner(cfg *config.Config, store *boltstore.Store, files *filestore.Store, eng *engineSet,
	hist *historyParts, met *metrics.Metrics, workers int, log *slog.Logger) (*tasks.Service, *worker.Worker) {
	limits := pages.Limits{MaxPages: cfg.Limits.MaxPages, MaxMegapixels: cfg.Limits.MaxMegapixels, PDFDPI: cfg.OCR.PDFDPI}
	// One page helper runner decodes pages for the worker and reads PDFs'
	// page sizes at upload (pages.Limits.PDF): PDFium never runs in the
	// server. Its compiled WebAssembly is kept in data_dir/cache/wasm.
	var extractor worker.Extractor
	if r, err := pagehelper.New(pagehelper.Options{Timeout: max(cfg.OCR.PageTimeout, helperMinTimeout),
		Nice: cfg.OCR.EngineNice, MaxMegapixels: cfg.Limits.MaxMegapixels,
		CacheDir: filepath.Join(cfg.CachePath(), "wasm")}, log); err != nil {
		log.Error("page helper unavailable: pages cannot be decoded", "error", err)
	} else {
		limits.PDF, extractor = r, r
		go func() { // compile PDFium into the cache now, not at the first PDF upload
			if err := r.WarmPDF(context.Background()); err != nil {
				log.Warn("PDFium could not be prepared; the first PDF will", "error", err)
			}
		}()
	}
	var outputs []domain.FileKind
	for _, o := range cfg.OCR.DefaultOutputs {
		outputs = append(outputs, domain.FileKind(o))
	}
	svc := tasks.NewService(store, files, eng, nil, hist.events, pages.Sniff, inspector(limits), boltstore.NewID,
		tasks.Options{DefaultEngine: cfg.OCR.DefaultEngine, DefaultLang: cfg.OCR.DefaultLang,
			DefaultOutputs: outputs, MaxUploadBytes: cfg.Server.MaxUploadMB << 20, MaxTasksPerUser: cfg.Limits.MaxTasksPerUser,
			MaxStorageBytesPerUser: cfg.Limits.MaxStorageMBPerUser << 20, Observer: met,
			EnginePageBytes: func(engine string) int64 { return eng.pageBytesLimit(engine, worker.MaxPageBytes) }})
	var local worker.Engines // nil interface for a pure coordinator
	if eng.pool != nil {
		local = eng.pool
	}
	var remote worker.Remote
	if eng.remote != nil {
		remote = eng.remote
	}
	wk := worker.New(store, files, local, hist.events, worker.Options{Workers: workers, Remote: remote, MaxAttempts: cfg.OCR.MaxAttempts,
		PageTimeout: cfg.OCR.PageTimeout, Limits: limits, Extractor: extractor, NewID: boltstore.NewID, EngineHOCR: cfg.OCR.EngineHOCR, Observer: met, ReviewConfidence: cfg.OCR.ReviewConfidence,
		ScratchDir: filepath.Join(cfg.Storage.DataDir, "scratch"), FIFO: cfg.OCR.Scheduling == "fifo", Nice: cfg.OCR.EngineNice,
		MaxRunningPagesPerUser: cfg.Limits.MaxRunningPagesPerUser, Weight: userWeights(cfg, store, log)}, log)
	svc.SetRunner(wk)
	svc.SetSearcher(hist.searcher())
	return svc, wk
}

// newAPI builds the HTTP app; /metrics is on it unless metrics are off or
// have their own listener (serveMetrics).
func newAPI(cfg *config.Config, store *boltstore.Store, eng *engineSet, sess *sessions.Service, taskSvc *tasks.Service,
	fileSvc *downloads.Service, hist *historyParts, met *metrics.Metrics, log *slog.Logger) *fiber.App {
	ready := func(ctx context.Context) error {
		if _, err := store.SchemaVersion(ctx); err != nil {
			return errors.New("storage unavailable")
		}
		if !eng.Alive() {
			return errors.New("an OCR engine process is down")
		}
		return nil
	}
	opts := httpapi.Options{
		MaxUploadBytes: cfg.Server.MaxUploadMB << 20, MaxFilesPerUpload: cfg.Limits.MaxFilesPerUpload,
		ReadTimeout: cfg.Server.ReadTimeout, CookieName: cfg.Auth.CookieName,
		CookieSecure:    cfg.Auth.CookieSecure || cfg.Server.TLSCert != "",
		SessionLifetime: cfg.Auth.SessionLifetime, TrustProxy: cfg.Server.TrustProxy,
		TrustedProxies: cfg.Server.TrustedProxies, PublicURL: cfg.Server.PublicURL, UI: ui.FS(),
		History: hist.api(), Metrics: met, MetricsToken: cfg.Metrics.Token,
	}
	if cfg.Metrics.Enabled && cfg.Metrics.Listen == "" {
		opts.MetricsHandler = met.Handler()
	}
	return httpapi.New(sess, taskSvc, fileSvc, eng, ready, opts, log)
}

// background are the jobs that run beside the HTTP server until Serve's
// work context ends.
type background struct {
	worker chan error    // the worker's Run result
	others chan struct{} // closed when the sweep and the janitor have stopped
}

// startBackground starts the provider-token refresher, the worker, the
// orphan sweep and (with task_retention_days) the janitor.
func startBackground(ctx context.Context, cfg *config.Config, store *boltstore.Store, files *filestore.Store,
	sess *sessions.Service, wk *worker.Worker, hist *historyParts, log *slog.Logger) *background {
	// Check often enough that a token is renewed well inside its buffer.
	go sess.RunRefresher(ctx, min(30*time.Second, max(cfg.Auth.TokenRefreshBuffer/2, time.Second)))
	bg := &background{worker: make(chan error, 1), others: make(chan struct{})}
	go func() { bg.worker <- wk.Run(ctx) }()
	sweepDone, janitorDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sweepDone)
		olog := log.With("component", "orphans")
		if n, err := orphans.Sweep(ctx, store, files, orphans.Options{}, olog); err != nil && ctx.Err() == nil {
			olog.Warn("sweep for orphaned task directories failed", "error", err)
		} else if n > 0 {
			olog.Info("removed task directories left by a crash", "count", n)
		}
	}()
	const day = 24 * time.Hour
	if tasks, audit := cfg.Limits.TaskRetentionDays, cfg.Limits.AuditRetentionDays; tasks > 0 || audit > 0 {
		jan := janitor.New(store, files, hist.deindexer(), janitor.Options{
			Retention: time.Duration(tasks) * day, AuditRetention: time.Duration(audit) * day, Deleted: hist.events.Deleted}, log)
		go func() { defer close(janitorDone); jan.Run(ctx) }()
	} else {
		close(janitorDone)
	}
	go func() {
		<-sweepDone
		<-janitorDone
		close(bg.others)
	}()
	return bg
}

// waitWorker waits up to d for the worker to stop and reports whether it
// did; once it has, later calls return true at once.
func (bg *background) waitWorker(d time.Duration) bool {
	if bg.worker == nil {
		return true
	}
	select {
	case <-bg.worker:
		bg.worker = nil
		return true
	case <-time.After(d):
		return false
	}
}

// wait waits for every job (call after the work context ended).
func (bg *background) wait() {
	if bg.worker != nil {
		<-bg.worker
		bg.worker = nil
	}
	<-bg.others
}

// userWeights resolves limits.user_weights (by email) for the scheduler,
// which knows people by id; nil when every weight is 1. The scheduler asks
// once per person while they have work queued, so no cache is needed.
func userWeights(cfg *config.Config, store *boltstore.Store, log *slog.Logger) func(userID string) float64 {
	weights, _ := cfg.Limits.Weights() // validated when the config was loaded
	if len(weights) == 0 {
		return nil
	}
	return func(userID string) float64 {
		u, err := store.GetUser(context.Background(), userID)
		if err != nil {
			log.Warn("look up a user's weight", "user_id", userID, "error", err)
			return 1
		}
		if w, ok := weights[strings.ToLower(u.Email)]; ok {
			return w
		}
		return 1
	}
}
