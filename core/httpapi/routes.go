package httpapi

import (
	"github.com/gofiber/fiber/v2"
)

// routes is the one route table.
func (s *Server) routes(app *fiber.App) {
	app.Use(s.requestID, s.accessLog)

	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz)

	api := app.Group("/api/v1")
	api.Get("/healthz", s.healthz)
	api.Get("/readyz", s.readyz)
	api.Post("/auth/login", s.login)
	api.Post("/auth/refresh", s.refresh)

	authed := api.Group("", s.requireSession)
	authed.Post("/auth/logout", s.logout)
	authed.Get("/auth/me", s.me)
	authed.Get("/engines", s.listEngines)
	authed.Post("/tasks", s.createTasks)
	authed.Get("/tasks", s.listTasks)
	authed.Get("/tasks/:id", s.getTask)
	authed.Delete("/tasks/:id", s.deleteTask)
	authed.Post("/tasks/:id/retry", s.retryTask)
	authed.Post("/tasks/:id/cancel", s.cancelTask)
	authed.Get("/tasks/:id/files/:file_id", s.downloadFile)
	authed.Get("/tasks/:id/events", s.taskEvents)

	api.All("/*", func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "no such API endpoint")
	})
	s.mountUI(app)
}
