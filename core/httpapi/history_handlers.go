package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/history"
)

// History is the task history service (core/history).
type History interface {
	Search(ctx context.Context, userID string, q domain.SearchQuery) ([]*domain.Task, int, error)
	Stats(ctx context.Context, userID string, loc *time.Location) (domain.TaskStats, error)
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
	q, err := parseHistoryFilterTZ(c.Query("from"), c.Query("to"), c.Query("tz"), string(lq.Status), c.Query("q"))
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

// historyStats is GET /history/stats; tz (parseTZ) chooses whose days
// per_day counts.
func (s *Server) historyStats(c *fiber.Ctx) error {
	if s.opts.History == nil {
		return errHistoryDisabled
	}
	loc, err := parseTZ(c.Query("tz"))
	if err != nil {
		return err
	}
	st, err := s.opts.History.Stats(c.UserContext(), userOf(c).ID, loc)
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
	// TZ is the UTC offset date-only bounds are days of (see parseTZ).
	TZ string `json:"tz"`
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
	q, err := parseHistoryFilterTZ(req.From, req.To, req.TZ, req.Status, req.Q)
	return req.Format, q, err
}

// parseHistoryFilter reads from/to (RFC 3339, or YYYY-MM-DD: from the
// start of that UTC day, to the end of it), status and q.
func parseHistoryFilter(from, to, status, q string) (domain.SearchQuery, error) {
	return parseHistoryFilterTZ(from, to, "", status, q)
}

// parseHistoryFilterTZ is parseHistoryFilter with the days of date-only
// bounds taken in the UTC offset tz (parseTZ; "" is UTC), so a browser can
// ask for a day of its own time zone: at UTC+14, 2024-12-05 with
// tz=+14:00 is 2024-12-04T10:00Z to 2024-12-05T10:00Z. RFC 3339 bounds
// carry their own offset and ignore tz.
func parseHistoryFilterTZ(from, to, tz, status, q string) (domain.SearchQuery, error) {
	var out domain.SearchQuery
	loc, err := parseTZ(tz)
	if err != nil {
		return out, err
	}
	if out.From, err = parseDate("from", from, false, loc); err != nil {
		return out, err
	}
	if out.To, err = parseDate("to", to, true, loc); err != nil {
		return out, err
	}
	out.Status, out.Q = domain.TaskStatus(status), q
	if err := out.Validate(); err != nil {
		return out, err
	}
	return out, nil
}

// parseTZ reads a UTC offset: "" or Z (UTC), or ±HH:MM (±HHMM, ±HH),
// from -12:00 to +14:00, the offsets in use. An offset rather than a zone
// name: the static release binary carries no time zone database, and a
// browser knows its offset (-Date.getTimezoneOffset()); across a DST
// change an offset is one hour off for that day, which RFC 3339 bounds
// computed by the client avoid.
func parseTZ(v string) (*time.Location, error) {
	bad := domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter,
		"tz must be a UTC offset from -12:00 to +14:00, like +14:00 or -05:30 (or Z)")
	switch v {
	case "", "Z", "z", "UTC":
		return time.UTC, nil
	}
	if len(v) < 3 || (v[0] != '+' && v[0] != '-') {
		return nil, bad
	}
	digits := strings.ReplaceAll(v[1:], ":", "")
	if len(digits) == 2 {
		digits += "00"
	}
	if len(digits) != 4 || strings.Count(v, ":") > 1 || (strings.Contains(v, ":") && v[3] != ':') {
		return nil, bad
	}
	h, err1 := strconv.Atoi(digits[:2])
	m, err2 := strconv.Atoi(digits[2:])
	if err1 != nil || err2 != nil || m >= 60 || (m != 0 && m != 15 && m != 30 && m != 45) {
		return nil, bad
	}
	secs := (h*60 + m) * 60
	if v[0] == '-' {
		secs = -secs
	}
	if secs < -12*3600 || secs > 14*3600 {
		return nil, bad
	}
	if secs == 0 {
		return time.UTC, nil
	}
	return time.FixedZone(v, secs), nil
}

// parseDate parses an RFC 3339 time or a YYYY-MM-DD date (a day in loc);
// a date as the end of a range means the end of that day.
func parseDate(name, v string, endOfDay bool, loc *time.Location) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return time.Time{}, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter,
			"%s must be an RFC 3339 time (2024-05-01T12:00:00Z) or a date (2024-05-01)", name)
	}
	if endOfDay {
		d = d.AddDate(0, 0, 1).Add(-time.Nanosecond)
	}
	return d.UTC(), nil
}
