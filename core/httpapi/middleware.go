package httpapi

import (
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/logging"
)

const (
	localRequestID = "request_id"
	localUser      = "user"
)

// requestID assigns every request an id, echoed in X-Request-ID and in
// error bodies. A client-supplied id is kept if it looks sane.
func (s *Server) requestID(c *fiber.Ctx) error {
	rid := c.Get(fiber.HeaderXRequestID)
	if rid == "" || len(rid) > 64 || strings.ContainsFunc(rid, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		rid = uuid.NewString()
	} else {
		rid = strings.Clone(rid)
	}
	c.Locals(localRequestID, rid)
	c.Set(fiber.HeaderXRequestID, rid)
	c.SetUserContext(logging.With(c.UserContext(), "request_id", rid))
	return c.Next()
}

func requestIDOf(c *fiber.Ctx) string {
	rid, _ := c.Locals(localRequestID).(string)
	return rid
}

// routeOf is the route template ("/api/v1/tasks/:id"), never the raw path,
// so logs and metrics do not carry ids.
func routeOf(c *fiber.Ctx) string {
	if r := c.Route(); r != nil {
		return r.Path
	}
	return "unmatched"
}

func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		// Let the error handler write the response now so the status is right.
		if herr := s.handleError(c, err); herr != nil {
			return herr
		}
	}
	took := time.Since(start)
	// The server's own share of a request, for browsers' developer tools
	// and load tools, which otherwise cannot tell it from the network's
	// and their own (W3C Server Timing; a duration reveals nothing else).
	c.Set("Server-Timing", "app;dur="+strconv.FormatFloat(float64(took.Microseconds())/1000, 'f', 2, 64))
	if s.opts.Metrics != nil {
		s.opts.Metrics.HTTPRequest(c.Method(), routeOf(c), c.Response().StatusCode(), took)
	}
	attrs := []any{"request_id", requestIDOf(c), "method", c.Method(), "route", routeOf(c),
		"status", c.Response().StatusCode(), "ms", took.Milliseconds(), "ip", c.IP()}
	if u, ok := c.Locals(localUser).(domain.User); ok {
		attrs = append(attrs, "user_id", u.ID)
	}
	s.log.Info("request", attrs...)
	return nil
}

// requireSession resolves the bearer token or session cookie to a user.
// Cookie-authenticated requests that change state must also carry the CSRF
// token (double submit: the X-CSRF-Token header equals the csrf cookie),
// which a cross-site page cannot read; bearer clients are not exposed to
// CSRF and need none.
func (s *Server) requireSession(c *fiber.Ctx) error {
	tok, fromCookie := tokenOf(c, s.opts.CookieName)
	u, err := s.sessions.Authenticate(c.UserContext(), tok)
	if err != nil {
		return err
	}
	if fromCookie && !safeMethod(c.Method()) && !csrfOK(c) {
		return errCSRF()
	}
	c.Locals(localUser, u)
	c.SetUserContext(logging.With(c.UserContext(), "user_id", u.ID))
	return c.Next()
}

const (
	csrfCookie        = "ocrbox_csrf"
	csrfHeader        = "X-CSRF-Token"
	refreshCookie     = "ocrbox_refresh"
	refreshCookiePath = "/api/v1/auth"
)

// csrfOK checks the double-submit token: the header must echo the cookie.
func csrfOK(c *fiber.Ctx) bool {
	want := c.Cookies(csrfCookie)
	got := c.Get(csrfHeader)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func errCSRF() error {
	return domain.Errorf(domain.ErrForbidden, domain.CodeCSRFFailed,
		"missing or wrong X-CSRF-Token header for a cookie-authenticated request")
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// tokenOf returns the request's token and whether it came from the cookie.
func tokenOf(c *fiber.Ctx, cookie string) (string, bool) {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t), false
		}
		if t, ok := strings.CutPrefix(h, "bearer "); ok {
			return strings.TrimSpace(t), false
		}
	}
	return c.Cookies(cookie), true
}

func userOf(c *fiber.Ctx) domain.User {
	u, _ := c.Locals(localUser).(domain.User)
	return u
}
