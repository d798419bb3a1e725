package httpapi

import (
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/ocrbox/ocrbox/core/domain"
)

// metrics serves the Prometheus scrape, behind metrics.token when set.
func (s *Server) metrics() fiber.Handler {
	h := adaptor.HTTPHandler(s.opts.MetricsHandler)
	return func(c *fiber.Ctx) error {
		if want := s.opts.MetricsToken; want != "" {
			scheme, got, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
			if !ok || !strings.EqualFold(scheme, "bearer") || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="ocrbox metrics"`)
				return domain.Errorf(domain.ErrUnauthenticated, "unauthenticated", "metrics need the bearer token set in metrics.token")
			}
		}
		return h(c)
	}
}
