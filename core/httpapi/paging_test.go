package httpapi_test

import (
	"strings"
	"testing"
)

// TestPagingIsBoundedWhereParsed is issue 11's crash: page × page_size
// past any list made bleve size a slice from an overflowed From + Size
// (makeslice: cap out of range) and took the process down. Now every list
// endpoint, in every order (bbolt and bleve paths), answers 422 naming the
// limit, and the deepest allowed page is an empty 200.
func TestPagingIsBoundedWhereParsed(t *testing.T) {
	e := newHistoryEnv(t, true)
	tok, alice := e.signIn(t, "alice")
	_, bob := e.signIn(t, "bob")
	seedHistory(t, e, alice, bob)
	for _, path := range []string{"/api/v1/tasks", "/api/v1/history"} {
		for _, sort := range []string{"filename", "created_at", "status", "duration", "pages"} {
			for _, tt := range []struct {
				query  string
				status int
			}{
				{"page_size=200&page=46116860184273880", 422}, // the reported crash
				{"page_size=1&page=9223372036854775807", 422},
				{"page_size=200&page=9223372036854775808", 422}, // not an int
				{"page_size=200&page=5001", 422},
				{"page=50001", 422},
				{"page_size=1&page=1000001", 422},
				{"page=-9223372036854775808", 422},
				{"page=1e308", 422},
				{"page_size=9223372036854775807", 422},
				{"page_size=-1", 422},
				{"page_size=200&page=5000", 200},
				{"page_size=1&page=1000000", 200},
				{"page=50000", 200},
			} {
				q := tt.query + "&sort=" + sort
				r := e.do(t, "GET", path+"?"+q, tok, nil, "")
				if r.status != tt.status {
					t.Errorf("%s?%s: %d %s, want %d", path, q, r.status, r.body, tt.status)
					continue
				}
				if tt.status == 200 {
					var page struct {
						Items []map[string]any
						Total int
					}
					r.json(t, &page)
					if len(page.Items) != 0 || page.Total == 0 {
						t.Errorf("%s?%s: %s, want no items and the total", path, q, r.body)
					}
					continue
				}
				if code := r.errCode(t); code != "invalid_parameter" {
					t.Errorf("%s?%s: code %s", path, q, code)
				}
				if strings.Contains(tt.query, "page=") && !strings.Contains(tt.query, "page_size=9") &&
					!strings.Contains(tt.query, "page_size=-") && !strings.Contains(string(r.body), "page") {
					t.Errorf("%s?%s: message does not name the parameter: %s", path, q, r.body)
				}
			}
		}
	}
	r := e.do(t, "GET", "/api/v1/tasks?page_size=200&page=5001", tok, nil, "")
	if !strings.Contains(string(r.body), "1000000") || !strings.Contains(string(r.body), "5000") {
		t.Errorf("the limit is not named: %s", r.body)
	}
}

// TestAuditLimitBounded: ?limit= of /audit is 1 to 1000, nothing else.
func TestAuditLimitBounded(t *testing.T) {
	e := newEnv(t, 100)
	tok := e.login(t, "alice")
	for _, v := range []string{"0", "-1", "1001", "46116860184273880", "9223372036854775808", "abc", "1e3", "%00"} {
		r := e.do(t, "GET", "/api/v1/audit?limit="+v, tok, nil, "")
		if r.status != 422 || r.errCode(t) != "invalid_parameter" {
			t.Errorf("limit=%s: %d %s", v, r.status, r.body)
		}
	}
	for _, v := range []string{"", "1", "1000"} {
		if r := e.do(t, "GET", "/api/v1/audit?limit="+v, tok, nil, ""); r.status != 200 {
			t.Errorf("limit=%s: %d %s", v, r.status, r.body)
		}
	}
}
