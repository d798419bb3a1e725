// Package httpapi is ocrbox's REST API (DESIGN.md §6) on Fiber v2, plus the
// embedded browser UI. Handlers are thin: parse, one service call, respond.
// Domain errors become HTTP status codes in one place (errors.go).
package httpapi

import (
	"context"
	"io/fs"
	"iter"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/downloads"
	"github.com/ocrbox/ocrbox/core/sessions"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Sessions is the session service as the API uses it.
type Sessions interface {
	Login(ctx context.Context, username, password, ip string) (*sessions.Tokens, error)
	Refresh(ctx context.Context, refreshToken string) (*sessions.Tokens, error)
	Logout(ctx context.Context, token, postLogoutURI string) (endSessionURL string, err error)
	Authenticate(ctx context.Context, token string) (domain.User, error)
	Valid(ctx context.Context, token string) bool
	SessionInfo(ctx context.Context, token string) (sessions.Info, bool)
	BrowserProviders(ctx context.Context) []sessions.BrowserProvider
	BeginBrowserLogin(ctx context.Context, provider, redirectURI, returnTo string) (authURL, state string, err error)
	CompleteBrowserLogin(ctx context.Context, state, cookieState, code, iss string) (*sessions.Tokens, string, error)
}

// Tasks is the task service as the API uses it.
type Tasks interface {
	ParseParams(ctx context.Context, engine, lang, outputs string) (tasks.Params, error)
	CheckStorage(ctx context.Context, userID string, incoming int64) error
	// CreateBatch makes a task of every file of one upload, or none.
	CreateBatch(ctx context.Context, userID string, p tasks.Params, files iter.Seq2[tasks.Upload, error], maxFiles int) ([]*domain.Task, error)
	Get(ctx context.Context, userID, taskID string) (*domain.Task, error)
	List(ctx context.Context, userID string, q domain.ListQuery) ([]*domain.Task, int, error)
	Delete(ctx context.Context, userID, taskID string) error
	Retry(ctx context.Context, userID, taskID string) (*domain.Task, error)
	// ForceRetry retries even a failure marked permanent (?force=true).
	ForceRetry(ctx context.Context, userID, taskID string) (*domain.Task, error)
	Cancel(ctx context.Context, userID, taskID string) (*domain.Task, error)
	Watch(ctx context.Context, userID, taskID string) (*domain.Task, <-chan *domain.Task, func(), error)
	// WatchUser streams every change to the user's tasks (GET /api/v1/events).
	WatchUser(ctx context.Context, userID, lastEventID string) (*tasks.UserSub, error)
}

// Downloads is the file access service (core/downloads): every download
// goes through it, so ownership is checked and the access audited in one
// place.
type Downloads interface {
	Open(ctx context.Context, userID, taskID, fileID, ip string) (*os.File, domain.File, error)
	// PageImage is a page of the task as PNG for the result viewer,
	// rendered by the page helper and cached, checked and audited as Open.
	PageImage(ctx context.Context, userID, taskID string, page, width int, ip string) (*os.File, int64, error)
	// Matches finds a query's words in the task's pages (the result
	// viewer's highlights), with the search's analysis.
	Matches(ctx context.Context, userID, taskID, q string) (*downloads.Matches, error)
	Audit(ctx context.Context, userID string, limit int) ([]domain.AuditEvent, error)
}

// Engines lists the installed OCR engines.
type Engines interface {
	Infos(ctx context.Context) []*sdk.EngineInfo
}

// Readiness reports whether the server can do work.
type Readiness func(ctx context.Context) error

// Options configure the HTTP layer.
type Options struct {
	MaxUploadBytes    int64
	MaxFilesPerUpload int
	ReadTimeout       time.Duration
	CookieName        string
	CookieSecure      bool
	SessionLifetime   time.Duration
	TrustProxy        bool
	// TrustedProxies are the peers (IPs or CIDRs) TrustProxy believes; an
	// empty list believes nobody.
	TrustedProxies []string
	// PublicURL is the externally visible base URL (for the OIDC callback);
	// empty derives it from each request.
	PublicURL string
	// UI is the built browser app; nil serves no UI.
	UI fs.FS
	// History serves /history (core/history); nil when history.enabled is
	// off: the endpoints then answer 404 feature_disabled.
	History History
	// Metrics observes every request by route template; nil: none.
	Metrics HTTPObserver
	// MetricsHandler, when set, is served at GET /metrics on this listener
	// (metrics.listen empty); MetricsToken, when set, must come as a bearer token.
	MetricsHandler http.Handler
	MetricsToken   string
}

// HTTPObserver records one finished request (core/metrics).
type HTTPObserver interface {
	HTTPRequest(method, route string, status int, d time.Duration)
}

// Server holds the handlers' dependencies.
type Server struct {
	sessions  Sessions
	tasks     Tasks
	downloads Downloads
	engines   Engines
	ready     Readiness
	opts      Options
	log       *slog.Logger
}

// New builds the Fiber app with every route mounted.
func New(sess Sessions, t Tasks, dl Downloads, eng Engines, ready Readiness, opts Options, log *slog.Logger) *fiber.App {
	s := &Server{sessions: sess, tasks: t, downloads: dl, engines: eng, ready: ready, opts: opts, log: log.With("component", "http")}
	cfg := fiber.Config{
		AppName: "ocrbox",
		// Values from c.Params/c.Query/c.Get outlive handlers (login flows,
		// events), so they must not alias fasthttp's reused buffers.
		Immutable:                    true,
		ErrorHandler:                 s.handleError,
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		// Uploads are streamed and bounded per file by the upload handler;
		// this caps the whole request.
		BodyLimit:             int(opts.MaxUploadBytes) + (4 << 20),
		ReadTimeout:           opts.ReadTimeout,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
		ReadBufferSize:        16 << 10,
	}
	// Fiber believes X-Forwarded-Proto/Host from any peer unless the
	// trusted-proxy check is on, so it always is: with trust_proxy off no
	// peer is trusted; on, only the listed ones (the configuration refuses
	// trust_proxy without a list).
	cfg.EnableTrustedProxyCheck = true
	if opts.TrustProxy {
		cfg.ProxyHeader = fiber.HeaderXForwardedFor
		cfg.TrustedProxies = opts.TrustedProxies
	}
	app := fiber.New(cfg)
	s.routes(app)
	return app
}
