package httpapi_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestMetricsWithoutTokenOnlyForThisMachine: with no metrics.token, the
// scrape on the API listener answers loopback peers that no proxy relayed.
func TestMetricsWithoutTokenOnlyForThisMachine(t *testing.T) {
	app := newOpenAPIApp(t)
	// app.Test's connection comes from 0.0.0.0: not this machine.
	res, err := app.Test(httptest.NewRequest("GET", "/metrics", nil), 10_000)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("remote scrape without token: %d, want 403", res.StatusCode)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { _ = app.Shutdown() })
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"loopback scraper", nil, http.StatusOK},
		{"relayed by a proxy (X-Forwarded-For)", map[string]string{"X-Forwarded-For": "203.0.113.7"}, http.StatusForbidden},
		{"relayed by a proxy (Forwarded)", map[string]string{"Forwarded": "for=203.0.113.7"}, http.StatusForbidden},
		{"relayed by a proxy (X-Real-IP)", map[string]string{"X-Real-IP": "203.0.113.7"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/metrics", nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Fatalf("%d, want %d", res.StatusCode, tt.want)
			}
		})
	}
}
