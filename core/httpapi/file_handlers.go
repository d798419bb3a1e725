package httpapi

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
)

// downloadFile serves one of the caller's task files as an attachment. The
// file service checks ownership and audits the access, allowed or not.
func (s *Server) downloadFile(c *fiber.Ctx) error {
	f, meta, err := s.downloads.Open(c.UserContext(), userOf(c).ID, c.Params("id"), c.Params("file_id"), c.IP())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, meta.ContentType)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(meta.Name))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.SendStream(f, int(meta.Size)) // fasthttp closes f when done
}

// pageImage answers GET /tasks/{id}/pages/{n}/image?width=W: page n as a
// PNG for the result viewer (downloads.Service.PageImage).
func (s *Server) pageImage(c *fiber.Ctx) error {
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 {
		return domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "the page number must be a positive integer")
	}
	width := 0
	if v := c.Query("width"); v != "" {
		if width, err = strconv.Atoi(v); err != nil || width < 1 {
			return domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "width must be a positive integer")
		}
	}
	f, size, err := s.downloads.PageImage(c.UserContext(), userOf(c).ID, c.Params("id"), n, width, c.IP())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderContentDisposition, "inline")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.SendStream(f, int(size))
}

// taskMatches answers GET /tasks/{id}/matches?q=…: the pages and word
// boxes of the task's text that match q as the history search does.
func (s *Server) taskMatches(c *fiber.Ctx) error {
	m, err := s.downloads.Matches(c.UserContext(), userOf(c).ID, c.Params("id"), c.Query("q"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(m)
}

// contentDisposition builds an attachment header with an ASCII fallback
// and the exact UTF-8 name (RFC 6266 / 5987).
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name))
}

// auditResponse is GET /audit's body: the caller's own events, newest first.
type auditResponse struct {
	Items []domain.AuditEvent `json:"items"`
}

// maxAuditPage is the largest ?limit= of GET /audit.
const maxAuditPage = 1000

// parseAuditLimit reads ?limit= of GET /audit: 1 to maxAuditPage, 100 when
// absent, 422 otherwise.
func parseAuditLimit(v string) (int, error) {
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxAuditPage {
		return 0, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "limit must be 1 to %d", maxAuditPage)
	}
	return n, nil
}

// listAudit answers GET /audit?limit=N (1 to 1000, default 100).
func (s *Server) listAudit(c *fiber.Ctx) error {
	limit, err := parseAuditLimit(c.Query("limit"))
	if err != nil {
		return err
	}
	items, err := s.downloads.Audit(c.UserContext(), userOf(c).ID, limit)
	if err != nil {
		return err
	}
	if items == nil {
		items = []domain.AuditEvent{}
	}
	return c.JSON(auditResponse{Items: items})
}
