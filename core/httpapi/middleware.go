package httpapi

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/ocrbox/ocrbox/core/domain"
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
	attrs := []any{"request_id", requestIDOf(c), "method", c.Method(), "route", routeOf(c),
		"status", c.Response().StatusCode(), "ms", time.Since(start).Milliseconds(), "ip", c.IP()}
	if u, ok := c.Locals(localUser).(domain.User); ok {
		attrs = append(attrs, "user_id", u.ID)
	}
	s.log.Info("request", attrs...)
	return nil
}

// requireSession resolves the session cookie or bearer token to a user.
func (s *Server) requireSession(c *fiber.Ctx) error {
	u, err := s.sessions.Authenticate(c.UserContext(), tokenOf(c, s.opts.CookieName))
	if err != nil {
		return err
	}
	c.Locals(localUser, u)
	return c.Next()
}

func tokenOf(c *fiber.Ctx, cookie string) string {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		if t, ok := strings.CutPrefix(h, "bearer "); ok {
			return strings.TrimSpace(t)
		}
	}
	return c.Cookies(cookie)
}

func userOf(c *fiber.Ctx) domain.User {
	u, _ := c.Locals(localUser).(domain.User)
	return u
}
