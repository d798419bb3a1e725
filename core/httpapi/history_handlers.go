package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/history"
)

// History is the task history service (core/history).
type History interface {
	Search(ctx context.Context, userID string, q domain.SearchQuery) ([]*domain.Task, int, error)
	Stats(ctx context.Context, userID string) (domain.TaskStats, error)
	Export(ctx context.Context, userID, format string, q domain.SearchQuery) (*history.Export, error)
}

var errHistoryDisabled = domain.Errorf(domain.ErrFeatureDisabled, domain.CodeFeatureDisabled,
	"task history is disabled on this server (history.enabled)")

// searchHistory is GET /history: the /tasks list with dates and search.
func (s *Server) searchHistory(c *fiber.Ctx) error {
	if s.opts.History == nil {
		return errHistoryDisabled
	}
	lq, page, size, err := parseListQuery(queryOf(c))
	if err != nil {
		return err
	}
	q, err := parseHistoryFilter(c.Query("from"), c.Query("to"), string(lq.Status), c.Query("q"))
	if err != nil {
		return err
	}
	q.Sort, q.Desc, q.Offset, q.Limit = lq.Sort, lq.Desc, lq.Offset, lq.Limit
	items, total, err := s.opts.History.Search(c.UserContext(), userOf(c).ID, q)
	if err != nil {
		return err
	}
	if items == nil {
		items = []*domain.Task{}
	}
	return c.JSON(listResponse{Items: items, Total: total, Page: page, PageSize: size})
}

// historyStats is GET /history/stats.
func (s *Server) historyStats(c *fiber.Ctx) error {
	if s.opts.History == nil {
		return errHistoryDisabled
	}
	st, err := s.opts.History.Stats(c.UserContext(), userOf(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

type exportRequest struct {
	Format string `json:"format"`
	From   string `json:"from"`
	To     string `json:"to"`
	Status string `json:"status"`
	Q      string `json:"q"`
}

// exportHistory is POST /history/export: the whole filtered history as a
// CSV or JSON download, streamed.
func (s *Server) exportHistory(c *fiber.Ctx) error {
	if s.opts.History == nil {
		return errHistoryDisabled
	}
	// The body is at most maxJSONBody: limitBody on the route (routes.go).
	format, q, err := parseExportRequest(c.Body())
	if err != nil {
		return err
	}
	ctx, user := c.UserContext(), userOf(c)
	exp, err := s.opts.History.Export(ctx, user.ID, format, q)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, exp.ContentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+exp.Filename+`"`)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	rid, log := requestIDOf(c), s.log
	c.Context().SetBodyStreamWriter(s.guardStream(c, func(w *bufio.Writer) {
		// Runs after the handler returned: only captured values are used.
		if err := exp.WriteTo(ctx, w); err != nil {
			log.Warn("history export ended early", "request_id", rid, "user_id", user.ID, "error", err)
		}
	}))
	return nil
}

// parseExportRequest reads the export request body: the format (checked
// by the history service) and the filter.
func parseExportRequest(body []byte) (string, domain.SearchQuery, error) {
	var req exportRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return "", domain.SearchQuery{}, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest,
			`expected a JSON body {"format":"csv"|"json","from","to","status","q"}`)
	}
	q, err := parseHistoryFilter(req.From, req.To, req.Status, req.Q)
	return req.Format, q, err
}

// parseHistoryFilter reads from/to (RFC 3339, or YYYY-MM-DD: from the
// start of that UTC day, to the end of it), status and q.
func parseHistoryFilter(from, to, status, q string) (domain.SearchQuery, error) {
	var out domain.SearchQuery
	var err error
	if out.From, err = parseDate("from", from, false); err != nil {
		return out, err
	}
	if out.To, err = parseDate("to", to, true); err != nil {
		return out, err
	}
	out.Status, out.Q = domain.TaskStatus(status), q
	if err := out.Validate(); err != nil {
		return out, err
	}
	return out, nil
}

// parseDate parses an RFC 3339 time or a YYYY-MM-DD date (UTC); a date as
// the end of a range means the end of that day.
func parseDate(name, v string, endOfDay bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter,
			"%s must be an RFC 3339 time (2024-05-01T12:00:00Z) or a date (2024-05-01)", name)
	}
	if endOfDay {
		d = d.AddDate(0, 0, 1).Add(-time.Nanosecond)
	}
	return d, nil
}
