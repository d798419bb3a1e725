package httpapi_test

import (
	"regexp"
	"strconv"
	"testing"
)

// TestServerTiming: every answer, success or error, tells the server's own
// share of the request in milliseconds (W3C Server Timing), so a slow
// answer can be told apart as the server's or the network's and client's.
func TestServerTiming(t *testing.T) {
	e := newEnv(t, 0)
	tok := e.login(t, "alice")
	re := regexp.MustCompile(`^app;dur=(\d+\.\d\d)$`)
	for _, tc := range []struct{ name, path, token string }{
		{"list", "/api/v1/tasks", tok},
		{"unauthorised", "/api/v1/tasks", ""},
		{"not found", "/api/v1/tasks/nope", tok},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "GET", tc.path, tc.token, nil, "")
			h := r.header.Get("Server-Timing")
			m := re.FindStringSubmatch(h)
			if m == nil {
				t.Fatalf("status %d: Server-Timing %q, want app;dur=MS", r.status, h)
			}
			if ms, _ := strconv.ParseFloat(m[1], 64); ms < 0 || ms > 10_000 {
				t.Fatalf("Server-Timing %q: not a plausible duration", h)
			}
		})
	}
}
