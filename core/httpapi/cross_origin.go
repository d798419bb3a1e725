package httpapi

import (
	"mime"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
)

// crossOrigin refuses state-changing browser requests that another site
// started (a form posted from elsewhere, a no-cors fetch). It is the
// standard library's CrossOriginProtection: Sec-Fetch-Site must be
// same-origin or none; a browser too old to send it must send an Origin
// whose host is this server's. Clients that are not browsers send neither
// and pass; cookie-authenticated requests still need their CSRF token
// (requireSession), and sign-in needs a JSON body (requireJSON), which a
// cross-site form cannot send.
func (s *Server) crossOrigin() fiber.Handler {
	cop := http.NewCrossOriginProtection()
	if s.opts.PublicURL != "" {
		// Behind a proxy that rewrites Host, the public origin is still ours.
		if err := cop.AddTrustedOrigin(originOf(s.opts.PublicURL)); err != nil {
			s.log.Warn("server.public_url is not an origin; cross-origin checks compare with the Host header only", "error", err)
		}
	}
	return func(c *fiber.Ctx) error {
		if safeMethod(c.Method()) {
			return c.Next()
		}
		// Check reads only the method, Host and these two headers.
		req := &http.Request{Method: c.Method(), Host: string(c.Request().Host()), Header: http.Header{}}
		for _, h := range []string{"Sec-Fetch-Site", fiber.HeaderOrigin} {
			if v := c.Get(h); v != "" {
				req.Header.Set(h, v)
			}
		}
		if err := cop.Check(req); err != nil {
			return domain.Errorf(domain.ErrForbidden, domain.CodeCSRFFailed,
				"cross-origin request refused: this server only accepts changes from its own pages")
		}
		return c.Next()
	}
}

// originOf is scheme://host of a URL, without path.
func originOf(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	host, _, _ := strings.Cut(rest, "/")
	return scheme + "://" + host
}

// requireJSON refuses a body that is not application/json: HTML forms can
// post urlencoded, multipart and text/plain bodies across sites, JSON only
// with a CORS preflight this server never grants. Sign-in and refresh set
// cookies, so they must not be reachable by a form (login CSRF).
func requireJSON(c *fiber.Ctx) error {
	ct := string(c.Request().Header.ContentType())
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return domain.Errorf(domain.ErrUnsupportedType, domain.CodeUnsupportedMediaType,
			"send the request body as application/json (got %q)", clipID(ct))
	}
	return nil
}
