package httpapi

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
)

// uiCSP allows the app's own scripts, styles and API calls only; inline
// style attributes (progress bar widths) and data: images (the favicon) are
// the two exceptions the app needs.
const uiCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// mountUI serves the embedded single-page app, falling back to index.html
// for client-side routes. /api paths never reach it (they 404 as JSON).
// Vite names assets by content hash, so they are cached for good; the
// entry page is revalidated every time so a new release shows at once.
func (s *Server) mountUI(app *fiber.App) {
	if s.opts.UI == nil {
		return
	}
	static := filesystem.New(filesystem.Config{Root: http.FS(s.opts.UI), Index: "index.html"})
	encodings := newUIEncodings(s.opts.UI)
	app.Use(func(c *fiber.Ctx) error {
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			return fiber.NewError(fiber.StatusNotFound, "not found")
		}
		p := strings.TrimPrefix(c.Path(), "/")
		if p != "" {
			if _, err := fs.Stat(s.opts.UI, p); err != nil {
				c.Path("/") // SPA fallback
				p = ""
			}
		}
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		if strings.HasPrefix(p, "assets/") {
			c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		} else {
			c.Set(fiber.HeaderCacheControl, "no-cache")
			c.Set(fiber.HeaderContentSecurityPolicy, uiCSP)
			c.Set(fiber.HeaderXFrameOptions, "DENY")
			c.Set(fiber.HeaderReferrerPolicy, "same-origin")
		}
		name := p
		if name == "" {
			name = "index.html"
		}
		if encodings.serve(c, name) {
			return nil
		}
		return static(c)
	})
}
