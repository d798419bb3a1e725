package httpapi

import (
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/ocrbox/ocrbox/core/domain"
)

// loopbackScrape reports a scrape from this machine that no proxy relayed:
// a reverse proxy on the same host connects from loopback too, but adds a
// forwarding header.
func loopbackScrape(c *fiber.Ctx) bool {
	peer := c.Context().RemoteIP()
	if peer == nil || !peer.IsLoopback() {
		return false
	}
	for _, h := range []string{fiber.HeaderXForwardedFor, "Forwarded", "X-Real-Ip", fiber.HeaderXForwardedHost} {
		if c.Get(h) != "" {
			return false
		}
	}
	return true
}

// metrics serves the Prometheus scrape, behind metrics.token when set;
// without a token only to loopbackScrape.
func (s *Server) metrics() fiber.Handler {
	h := adaptor.HTTPHandler(s.opts.MetricsHandler)
	return func(c *fiber.Ctx) error {
		if s.opts.MetricsToken == "" && !loopbackScrape(c) {
			// The scrape shows every route's traffic, queue depth and errors:
			// not for the internet by default.
			return domain.Errorf(domain.ErrForbidden, domain.CodeMetricsForbidden,
				"metrics on this listener answer scrapers on this machine only: set metrics.token, or serve them on metrics.listen")
		}
		if want := s.opts.MetricsToken; want != "" {
			scheme, got, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
			if !ok || !strings.EqualFold(scheme, "bearer") || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="ocrbox metrics"`)
				return domain.Errorf(domain.ErrUnauthenticated, domain.CodeUnauthenticated, "metrics need the bearer token set in metrics.token")
			}
		}
		return h(c)
	}
}
