package httpapi

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
)

// mountUI serves the embedded single-page app, falling back to index.html
// for client-side routes. /api paths never reach it (they 404 as JSON).
func (s *Server) mountUI(app *fiber.App) {
	if s.opts.UI == nil {
		return
	}
	static := filesystem.New(filesystem.Config{Root: http.FS(s.opts.UI), Index: "index.html"})
	app.Use(func(c *fiber.Ctx) error {
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			return fiber.NewError(fiber.StatusNotFound, "not found")
		}
		p := strings.TrimPrefix(c.Path(), "/")
		if p != "" {
			if _, err := fs.Stat(s.opts.UI, p); err != nil {
				c.Path("/") // SPA fallback
			}
		}
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		return static(c)
	})
}
