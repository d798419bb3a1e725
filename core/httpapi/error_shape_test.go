package httpapi_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// errorShape decodes {"error":{code,message,request_id}} and checks it
// carries all three, the request id also in X-Request-ID.
func errorShape(t *testing.T, status int, header http.Header, body []byte, wantStatus int, wantCode string) {
	t.Helper()
	var e struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || status != wantStatus || e.Error.Code != wantCode ||
		e.Error.Message == "" || e.Error.RequestID == "" || header.Get("X-Request-ID") != e.Error.RequestID {
		t.Fatalf("%d %s (X-Request-ID %q), want %d %s", status, body, header.Get("X-Request-ID"), wantStatus, wantCode)
	}
}

// TestErrorsFiberAnswersItselfHaveTheShape: requests Fiber answers before
// any middleware runs — an unknown method, a request line past the read
// buffer — still get the API's error shape (found by the HTTP fuzz suite,
// test/integration/apifuzz_test.go).
func TestErrorsFiberAnswersItselfHaveTheShape(t *testing.T) {
	e := newEnv(t, 100)
	for _, m := range []struct{ method, path string }{{"PROPFIND", "/api/v1/tasks"}, {"BREW", "/"}} {
		r := e.do(t, m.method, m.path, "", nil, "")
		errorShape(t, r.status, r.header, r.body, 405, "method_not_allowed")
	}

	// fasthttp reports a request line past ReadBufferSize to the server's
	// error handler, which app.Test does not reach: a real listener.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.app.Listener(ln)
	t.Cleanup(func() { _ = e.app.Shutdown() })
	res, err := http.Get("http://" + ln.Addr().String() + "/api/v1/tasks?q=" + strings.Repeat("A", 20<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	errorShape(t, res.StatusCode, res.Header, body, 431, "too_large")
}

// TestSmallBodiesAreBounded: every body but an upload's is refused past
// 64 KiB before it is read — with a Content-Length or chunked — so an
// anonymous POST /auth/login cannot make the server hold the upload limit
// in memory.
func TestSmallBodiesAreBounded(t *testing.T) {
	e := newEnv(t, 100)
	tok := e.login(t, "alice")
	big := `{"username":"` + strings.Repeat("a", 70<<10) + `","password":"x"}`
	for _, tt := range []struct{ method, path, token string }{
		{"POST", "/api/v1/auth/login", ""},
		{"POST", "/api/v1/auth/refresh", ""},
		{"POST", "/api/v1/history/export", tok},
		{"POST", "/api/v1/auth/logout", tok},
	} {
		for _, chunked := range []bool{false, true} {
			var body io.Reader = strings.NewReader(big)
			if chunked {
				body = io.MultiReader(body) // no length: sent chunked
			}
			req := httptest.NewRequest(tt.method, tt.path, body)
			if chunked {
				req.ContentLength = -1
				req.TransferEncoding = []string{"chunked"}
			}
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			res, err := e.app.Test(req, 10_000)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(res.Body)
			res.Body.Close()
			errorShape(t, res.StatusCode, res.Header, data, 413, "too_large")
		}
	}
	// A body within the limit still reaches the handler.
	r := e.do(t, "POST", "/api/v1/auth/login", "", strings.NewReader(`{"username":"alice@example.org","password":"password-alice"}`), "application/json")
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
}
