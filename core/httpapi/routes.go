package httpapi

import (
	"github.com/gofiber/fiber/v2"
)

// routes is the one route table.
func (s *Server) routes(app *fiber.App) {
	// The first recoverPanics guards the two middlewares (and the metrics
	// observer accessLog calls); the second turns a handler's panic into an
	// error before accessLog, so the access line and the 5xx metric count it.
	app.Use(s.recoverPanics(), s.requestID, s.accessLog, s.recoverPanics())
	answerUnknownMethods(app)

	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)
	if s.opts.MetricsHandler != nil {
		app.Get("/metrics", s.metrics())
	} else {
		// Not the UI page: a scraper pointed here must see why it gets nothing.
		app.Get("/metrics", func(c *fiber.Ctx) error {
			return fiber.NewError(fiber.StatusNotFound, "no metrics on this listener: metrics.enabled is off, or metrics.listen serves them")
		})
	}

	// Every state-changing API request must come from this server's own
	// pages or from a client that is not a browser (cross_origin.go).
	api := app.Group("/api/v1", s.crossOrigin())
	// Only uploads stream large bodies; every other body is read whole.
	small := limitBody(maxJSONBody)
	api.Get("/healthz", s.healthz)
	api.Get("/readyz", s.readyz)
	api.Post("/auth/login", small, s.login)
	api.Post("/auth/refresh", small, s.refresh)
	api.Get("/auth/providers", s.listProviders)
	api.Get("/openapi.json", s.openAPI)
	api.Get("/auth/oidc/login", s.oidcLogin)
	api.Get("/auth/oidc/callback", s.oidcCallback)

	// The session check sits on each route rather than on a group, so an
	// unknown /api path answers 404, not 401.
	authed := sessionRoutes{api, s.requireSession}
	authed.Post("/auth/logout", small, s.logout)
	authed.Get("/auth/me", s.me)
	authed.Get("/engines", s.listEngines)
	authed.Post("/tasks", s.createTasks)
	authed.Get("/tasks", s.listTasks)
	authed.Get("/tasks/:id", s.getTask)
	authed.Delete("/tasks/:id", small, s.deleteTask)
	authed.Post("/tasks/:id/retry", small, s.retryTask)
	authed.Post("/tasks/:id/cancel", small, s.cancelTask)
	authed.Get("/tasks/:id/files/:file_id", s.downloadFile)
	authed.Get("/tasks/:id/pages/:n/image", s.pageImage)
	authed.Get("/tasks/:id/matches", s.taskMatches)
	authed.Get("/tasks/:id/events", s.taskEvents)
	authed.Get("/events", s.userEvents)
	authed.Get("/audit", s.listAudit)
	authed.Get("/history", s.searchHistory)
	authed.Get("/history/stats", s.historyStats)
	authed.Post("/history/export", small, s.exportHistory)

	api.All("/*", func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "no such API endpoint")
	})
	s.mountUI(app)
}

// sessionRoutes registers routes that require a signed-in user.
type sessionRoutes struct {
	r    fiber.Router
	auth fiber.Handler
}

func (g sessionRoutes) Get(path string, h ...fiber.Handler) {
	g.r.Get(path, append([]fiber.Handler{g.auth}, h...)...)
}
func (g sessionRoutes) Post(path string, h ...fiber.Handler) {
	g.r.Post(path, append([]fiber.Handler{g.auth}, h...)...)
}
func (g sessionRoutes) Delete(path string, h ...fiber.Handler) {
	g.r.Delete(path, append([]fiber.Handler{g.auth}, h...)...)
}
