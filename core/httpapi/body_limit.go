package httpapi

import (
	"io"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
)

// maxJSONBody caps the body of every request but an upload: a login, a
// refresh or an export request is a few hundred bytes.
const maxJSONBody = 64 << 10

// limitBody refuses (413) a body larger than max before a handler reads
// it. The server streams request bodies (for uploads) and its body limit
// is the upload limit, so without this c.Body() would hold up to that much
// in memory for an anonymous POST /auth/login — or, chunked, with no
// Content-Length to refuse it by.
func limitBody(max int) fiber.Handler {
	tooLarge := func(c *fiber.Ctx) error {
		c.Context().SetConnectionClose() // the rest of the body is never read
		return domain.Errorf(domain.ErrTooLarge, domain.CodeTooLarge, "the request body is larger than %d bytes", max)
	}
	return func(c *fiber.Ctx) error {
		if c.Request().Header.ContentLength() > max {
			return tooLarge(c)
		}
		if r := c.Context().RequestBodyStream(); r != nil {
			data, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
			if err != nil {
				c.Context().SetConnectionClose()
				return domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest, "the request body could not be read")
			}
			if len(data) > max {
				return tooLarge(c)
			}
			c.Request().SetBody(data)
		}
		return c.Next()
	}
}
