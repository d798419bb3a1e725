package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Native fuzz tests of every parser of request input (issue 11). `go test`
// runs the seed corpora in testdata/fuzz/<Name>/ (the inputs that once
// crashed included); scripts/fuzz explores further for a few seconds each.

// wantInvalid fails unless err is a *domain.Error of kind ErrInvalid with a
// code and a message for the client: every refusal of request input is 422.
func wantInvalid(t *testing.T, err error) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalid) || de.Code == "" || de.Message == "" {
		t.Fatalf("error %v (%T) is not a 422 domain error", err, err)
	}
}

func FuzzParseListQuery(f *testing.F) {
	for _, s := range []string{
		"", "page=2&page_size=50&sort=filename&order=asc&status=completed",
		"sort=filename&page_size=200&page=46116860184273880", "page=9223372036854775807&page_size=200",
		"page_size=1&page=1000000", "page=0", "page=-1", "page=%2B3", "page_size=200&page=5000", "order=DESC",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, page, size, err := parseListQuery(v.Get)
		if err != nil {
			wantInvalid(t, err)
			return
		}
		if page < 1 || size < 1 || size > domain.MaxPageSize || page > domain.MaxListItems/size {
			t.Fatalf("page %d, page_size %d accepted", page, size)
		}
		if q.Offset != (page-1)*size || q.Limit != size || q.Offset < 0 || q.Offset+q.Limit > domain.MaxListItems {
			t.Fatalf("offset %d, limit %d for page %d × %d", q.Offset, q.Limit, page, size)
		}
		// What is accepted here is accepted by the stores and the index.
		sq := domain.SearchQuery{Status: q.Status, Sort: q.Sort, Desc: q.Desc, Offset: q.Offset, Limit: q.Limit}
		if err := sq.Validate(); err != nil {
			t.Fatalf("parsed %+v, refused later: %v", q, err)
		}
	})
}

func FuzzParseHistoryFilter(f *testing.F) {
	f.Add("2024-05-01", "2024-05-31", "completed", "invoice")
	f.Add("2024-05-01T12:00:00Z", "2024-05-01T12:00:00.999999999+14:00", "", "rech*")
	f.Add("0000-01-01", "9999-12-31", "done", "")
	f.Add("2024-02-30", "yesterday", "pending", "\xff\xfe")
	f.Add("2026-03-05", "2026-03-01", "", "title:x OR user_id:*")
	f.Add("", "", "", strings.Repeat("a", domain.MaxSearchBytes+1))
	f.Fuzz(func(t *testing.T, from, to, status, q string) {
		sq, err := parseHistoryFilter(from, to, status, q)
		if err != nil {
			wantInvalid(t, err)
			return
		}
		if err := sq.Validate(); err != nil {
			t.Fatalf("accepted %+v, but it does not validate: %v", sq, err)
		}
		if len(sq.Q) > domain.MaxSearchBytes || !utf8.ValidString(sq.Q) {
			t.Fatalf("q of %d bytes accepted", len(sq.Q))
		}
		if !sq.From.IsZero() && !sq.To.IsZero() && sq.From.After(sq.To) {
			t.Fatalf("from %s after to %s accepted", sq.From, sq.To)
		}
	})
}

func FuzzParseExportRequest(f *testing.F) {
	for _, s := range []string{
		`{"format":"csv"}`, `{"format":"json","from":"2024-01-01","to":"2024-12-31","status":"failed","q":"x"}`,
		``, `null`, `[]`, `{"format":1}`, `{"from":{"a":1}}`, `{"q":null,"status":["x"]}`, `{"format":"csv"`,
		`{"from":"2024-01-01","from":"9999-99-99"}`, `{"q":"\ud800"}`, `"` + strings.Repeat("a", 100) + `"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		format, q, err := parseExportRequest(body)
		if err != nil {
			wantInvalid(t, err)
			return
		}
		if err := q.Validate(); err != nil {
			t.Fatalf("accepted %+v (format %q), but it does not validate: %v", q, format, err)
		}
		if !json.Valid(body) {
			t.Fatalf("accepted a body that is not JSON: %q", body)
		}
	})
}

func FuzzParseAuditLimit(f *testing.F) {
	for _, s := range []string{"", "1", "1000", "1001", "0", "-1", "46116860184273880", "1e3", "0x10", " 5", "+5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n, err := parseAuditLimit(v)
		if err != nil {
			wantInvalid(t, err)
			return
		}
		if n < 1 || n > maxAuditPage {
			t.Fatalf("limit %q read as %d", v, n)
		}
	})
}

func FuzzSafeReturn(f *testing.F) {
	for _, s := range []string{
		"/tasks?x=1", "", "//evil.example", "/\\evil.example", "https://evil.example/", "/\t/evil.example",
		"/%2F/evil.example", "javascript:alert(1)", "/ok#frag", "\x00/x", "/\u202e/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := safeReturn(p)
		if got != "/" && got != p {
			t.Fatalf("safeReturn(%q) = %q: neither / nor the input", p, got)
		}
		// Browsers drop tabs and newlines from a Location before reading it.
		seen := strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(got)
		if !strings.HasPrefix(seen, "/") || strings.HasPrefix(seen, "//") || strings.HasPrefix(seen, "/\\") ||
			strings.Contains(got, "\\") {
			t.Fatalf("safeReturn(%q) = %q leaves this site", p, got)
		}
		if u, err := url.Parse(got); err != nil || u.Host != "" || u.Scheme != "" {
			t.Fatalf("safeReturn(%q) = %q has a host or scheme", p, got)
		}
	})
}

// FuzzRequestID drives the whole middleware chain through fasthttp (the
// request id is checked inline in requestID): the id echoed in the header
// and in error bodies is the client's only when it is short and printable.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"", "abc-123", strings.Repeat("x", 64), strings.Repeat("x", 65), "a b", "a\x00b",
		"ü", "a\r\nSet-Cookie: x=y", "\x7f", "{\"json\":1}"} {
		f.Add(s)
	}
	app := New(anyoneSessions{}, buggyTasks{}, nil, nil, func(context.Context) error { return nil },
		Options{MaxUploadBytes: 1 << 20, ReadTimeout: time.Minute, CookieName: "ocrbox_session"},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	handler := app.Handler()
	f.Fuzz(func(t *testing.T, rid string) {
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI("/api/v1/no-such-endpoint")
		ctx.Request.Header.Set(fiber.HeaderXRequestID, rid)
		sent := string(ctx.Request.Header.Peek(fiber.HeaderXRequestID))
		handler(&ctx)
		got := string(ctx.Response.Header.Peek(fiber.HeaderXRequestID))
		if got == "" || len(got) > 64 || strings.ContainsFunc(got, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			t.Fatalf("request id %q sent, %q echoed", sent, got)
		}
		sane := sent != "" && len(sent) <= 64 && !strings.ContainsFunc(sent, func(r rune) bool { return r < 0x21 || r > 0x7e })
		if sane != (got == sent) {
			t.Fatalf("request id %q sent (sane: %v), %q echoed", sent, sane, got)
		}
		var eb errorBody
		if ctx.Response.StatusCode() != 404 || json.Unmarshal(ctx.Response.Body(), &eb) != nil || eb.Error.RequestID != got {
			t.Fatalf("status %d, body %s, want 404 with request_id %q", ctx.Response.StatusCode(), ctx.Response.Body(), got)
		}
	})
}
