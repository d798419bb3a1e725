package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestAuthFlow(t *testing.T) {
	e := newEnv(t, 100)
	tests := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"wrong password", `{"username":"alice@example.org","password":"nope-nope"}`, 401, "invalid_credentials"},
		{"unknown user", `{"username":"mallory@example.org","password":"whatever1"}`, 401, "invalid_credentials"},
		{"missing fields", `{}`, 422, "invalid_request"},
		{"not json", `username=alice`, 422, "invalid_request"},
		{"oversized username", `{"username":"` + strings.Repeat("a", 400) + `@example.org","password":"whatever1"}`, 422, "invalid_request"},
		{"oversized password", `{"username":"alice@example.org","password":"` + strings.Repeat("p", 2000) + `"}`, 422, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, "POST", "/api/v1/auth/login", "", strings.NewReader(tt.body), "application/json")
			if r.status != tt.status || r.errCode(t) != tt.code {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
	tok := e.login(t, "alice")
	r := e.do(t, "GET", "/api/v1/auth/me", tok, nil, "")
	var me struct{ User domain.User }
	r.json(t, &me)
	if r.status != 200 || me.User.Name != "Alice" || me.User.Email != "alice@example.org" || me.User.Provider != "local" {
		t.Fatalf("me: %d %s", r.status, r.body)
	}
	if r := e.do(t, "GET", "/api/v1/auth/me", "", nil, ""); r.status != 401 || r.errCode(t) != "unauthenticated" {
		t.Fatalf("no token: %d %s", r.status, r.body)
	}
	if r := e.do(t, "POST", "/api/v1/auth/logout", tok, nil, ""); r.status != 204 {
		t.Fatalf("logout: %d", r.status)
	}
	if r := e.do(t, "GET", "/api/v1/auth/me", tok, nil, ""); r.status != 401 {
		t.Fatalf("token alive after logout: %d", r.status)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, 2)
	var last resp
	for range 3 {
		last = e.do(t, "POST", "/api/v1/auth/login", "", strings.NewReader(`{"username":"bob@example.org","password":"wrong-wrong"}`), "application/json")
	}
	if last.status != 429 || last.errCode(t) != "rate_limited" || last.header.Get("Retry-After") == "" {
		t.Fatalf("third attempt: %d %s (Retry-After %q)", last.status, last.body, last.header.Get("Retry-After"))
	}
}

func TestRefreshRotatesSession(t *testing.T) {
	e := newEnv(t, 100)
	r := e.do(t, "POST", "/api/v1/auth/login", "", strings.NewReader(`{"username":"alice@example.org","password":"password-alice"}`), "application/json")
	var tok struct{ AccessToken, RefreshToken string }
	r.json(t, &tok)
	tok.AccessToken, tok.RefreshToken = tokField(r, "access_token"), tokField(r, "refresh_token")
	r2 := e.do(t, "POST", "/api/v1/auth/refresh", "", strings.NewReader(`{"refresh_token":"`+tok.RefreshToken+`"}`), "application/json")
	if r2.status != 200 {
		t.Fatalf("refresh: %d %s", r2.status, r2.body)
	}
	if r := e.do(t, "GET", "/api/v1/auth/me", tok.AccessToken, nil, ""); r.status != 401 {
		t.Fatalf("old token still valid after refresh: %d", r.status)
	}
	if r := e.do(t, "GET", "/api/v1/auth/me", tokField(r2, "access_token"), nil, ""); r.status != 200 {
		t.Fatalf("new token: %d", r.status)
	}
	if r := e.do(t, "POST", "/api/v1/auth/refresh", "", strings.NewReader(`{"refresh_token":"`+tok.RefreshToken+`"}`), "application/json"); r.status != 401 {
		t.Fatalf("refresh token reused: %d", r.status)
	}
}

func tokField(r resp, name string) string {
	s := string(r.body)
	i := strings.Index(s, `"`+name+`":"`)
	if i < 0 {
		return ""
	}
	s = s[i+len(name)+4:]
	return s[:strings.IndexByte(s, '"')]
}

func TestUploadValidation(t *testing.T) {
	e := newEnv(t, 100)
	tok := e.login(t, "alice")
	big := append(pngBytes(t), make([]byte, 2<<20)...)
	tests := []struct {
		name   string
		fields map[string]string
		files  map[string][]byte
		status int
		code   string
	}{
		{"text file", nil, map[string][]byte{"notes.txt": []byte("hello, this is not an image")}, 415, "unsupported_type"},
		{"empty file", nil, map[string][]byte{"empty.png": {}}, 422, "empty_file"},
		{"too large", nil, map[string][]byte{"big.png": big}, 413, "file_too_large"},
		{"unknown language", map[string]string{"lang": "xxx"}, map[string][]byte{"a.png": pngBytes(t)}, 422, "unsupported_language"},
		{"unknown engine", map[string]string{"engine": "nope"}, map[string][]byte{"a.png": pngBytes(t)}, 422, "unknown_engine"},
		{"bad output", map[string]string{"outputs": "txt,docx"}, map[string][]byte{"a.png": pngBytes(t)}, 422, "invalid_output"},
		{"no files", map[string]string{"lang": "eng"}, nil, 422, "no_files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.upload(t, tok, tt.fields, tt.files)
			if r.status != tt.status || r.errCode(t) != tt.code {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		})
	}
	if r := e.do(t, "POST", "/api/v1/tasks", tok, strings.NewReader("{}"), "application/json"); r.status != 422 {
		t.Fatalf("not multipart: %d %s", r.status, r.body)
	}
	var list struct{ Total int }
	e.do(t, "GET", "/api/v1/tasks", tok, nil, "").json(t, &list)
	if list.Total != 0 {
		t.Fatalf("refused uploads left %d tasks behind", list.Total)
	}
}

func TestQuota(t *testing.T) {
	e := newEnv(t, 100)
	tok := e.login(t, "alice")
	for range 3 {
		e.uploadOne(t, tok)
	}
	r := e.upload(t, tok, nil, map[string][]byte{"four.png": pngBytes(t)})
	if r.status != 429 || r.errCode(t) != "quota_exceeded" || !strings.Contains(string(r.body), "3") {
		t.Fatalf("over quota: %d %s", r.status, r.body)
	}
}

func TestTaskLifecycleAndIsolation(t *testing.T) {
	e := newEnv(t, 100)
	alice, bob := e.login(t, "alice"), e.login(t, "bob")
	task := e.uploadOne(t, alice)
	if task.Status != domain.StatusPending || task.PagesTotal != 1 || task.Filename != "scan.png" {
		t.Fatalf("new task: %+v", task)
	}
	in, _ := task.InputFile()
	base := "/api/v1/tasks/" + task.ID
	// Bob sees nothing of Alice's task, and learns nothing from the 403 body.
	for _, req := range []struct{ method, path string }{
		{"GET", base}, {"DELETE", base}, {"POST", base + "/retry"}, {"POST", base + "/cancel"},
		{"GET", base + "/events"}, {"GET", base + "/files/" + in.ID},
	} {
		r := e.do(t, req.method, req.path, bob, nil, "")
		if r.status != 403 || r.errCode(t) != "forbidden" || strings.Contains(string(r.body), task.ID) || strings.Contains(string(r.body), "scan") {
			t.Fatalf("bob %s %s: %d %s", req.method, req.path, r.status, r.body)
		}
	}
	var bobList struct{ Total int }
	e.do(t, "GET", "/api/v1/tasks", bob, nil, "").json(t, &bobList)
	if bobList.Total != 0 {
		t.Fatalf("bob lists %d tasks", bobList.Total)
	}
	// Alice downloads her input as an attachment.
	r := e.do(t, "GET", base+"/files/"+in.ID, alice, nil, "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") ||
		r.header.Get("X-Content-Type-Options") != "nosniff" || len(r.body) != int(in.Size) {
		t.Fatalf("download: %d %v", r.status, r.header)
	}
	steps := []struct {
		method, path string
		status       int
	}{
		{"POST", base + "/retry", 409},
		{"POST", base + "/cancel", 202},
		{"POST", base + "/cancel", 409},
		{"POST", base + "/retry", 202},
		{"DELETE", base, 204},
		{"GET", base, 404},
	}
	for _, s := range steps {
		if r := e.do(t, s.method, s.path, alice, nil, ""); r.status != s.status {
			t.Fatalf("%s %s: %d %s, want %d", s.method, s.path, r.status, r.body, s.status)
		}
	}
}

func TestListParams(t *testing.T) {
	e := newEnv(t, 100)
	tok := e.login(t, "alice")
	e.uploadOne(t, tok)
	e.uploadOne(t, tok)
	var page struct {
		Items                 []domain.Task
		Total, Page, PageSize int
	}
	r := e.do(t, "GET", "/api/v1/tasks?page=2&page_size=1&sort=filename&order=asc", tok, nil, "")
	r.json(t, &page)
	if r.status != 200 || page.Total != 2 || len(page.Items) != 1 || page.Page != 2 {
		t.Fatalf("paging: %d %s", r.status, r.body)
	}
	for _, q := range []string{"page=0", "page_size=1000", "sort=evil", "order=up", "status=done"} {
		if r := e.do(t, "GET", "/api/v1/tasks?"+q, tok, nil, ""); r.status != 422 {
			t.Fatalf("%s: %d", q, r.status)
		}
	}
}

func TestRoutingAndRequestID(t *testing.T) {
	e := newEnv(t, 100)
	r := e.do(t, "GET", "/api/v1/nope", "", nil, "")
	if r.status != 404 || r.errCode(t) != "not_found" || r.header.Get("X-Request-ID") == "" {
		t.Fatalf("api 404: %d %s %v", r.status, r.body, r.header)
	}
	if r := e.do(t, "GET", "/history/some/page", "", nil, ""); r.status != 200 || !strings.Contains(string(r.body), "ocrbox ui") ||
		r.header.Get("Cache-Control") != "no-cache" || !strings.Contains(r.header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("SPA fallback: %d %s %v", r.status, r.body, r.header)
	}
	if r := e.do(t, "GET", "/assets/index-abc123.js", "", nil, ""); r.status != 200 || !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Fatalf("hashed asset: %d %v", r.status, r.header)
	}
	if r := e.do(t, "GET", "/metrics", "", nil, ""); r.status != 404 || !strings.Contains(string(r.body), "metrics.listen") {
		t.Fatalf("/metrics without a metrics handler: %d %s, want a 404 that says why", r.status, r.body)
	}
	if r := e.do(t, "GET", "/app.js", "", nil, ""); r.status != 200 || string(r.body) != "1" {
		t.Fatalf("static file: %d %s", r.status, r.body)
	}
	tok := e.login(t, "alice")
	for _, id := range []string{"not-a-uuid", "01a2199d-e566-75f4-9367-6f040d5e168b", "..%2f..%2fetc"} {
		if r := e.do(t, "GET", "/api/v1/tasks/"+id, tok, nil, ""); r.status != 404 || r.errCode(t) != "not_found" {
			t.Fatalf("task %q: %d %s", id, r.status, r.body)
		}
	}
	if r := e.do(t, "GET", "/healthz", "", nil, ""); r.status != 200 {
		t.Fatalf("healthz: %d", r.status)
	}
}

func TestCSRFForCookieSessions(t *testing.T) {
	e := newEnv(t, 100)
	r := e.do(t, "POST", "/api/v1/auth/login", "", strings.NewReader(`{"username":"alice@example.org","password":"password-alice"}`), "application/json")
	var session, csrf string
	for _, ck := range r.header.Values("Set-Cookie") {
		name, rest, _ := strings.Cut(ck, "=")
		val, _, _ := strings.Cut(rest, ";")
		switch name {
		case "ocrbox_session":
			session = val
			if !strings.Contains(ck, "HttpOnly") || !strings.Contains(strings.ToLower(ck), "samesite=lax") {
				t.Fatalf("session cookie flags: %s", ck)
			}
		case "ocrbox_csrf":
			csrf = val
		}
	}
	if session == "" || csrf == "" {
		t.Fatalf("cookies: %v", r.header.Values("Set-Cookie"))
	}
	send := func(method, path string, withCSRF string) int {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Cookie", "ocrbox_session="+session+"; ocrbox_csrf="+csrf)
		if withCSRF != "" {
			req.Header.Set("X-CSRF-Token", withCSRF)
		}
		res, err := e.app.Test(req, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode
	}
	if st := send("GET", "/api/v1/auth/me", ""); st != 200 {
		t.Fatalf("cookie GET: %d", st)
	}
	if st := send("POST", "/api/v1/tasks/01a2199d-e566-75f4-9367-6f040d5e168b/cancel", ""); st != 403 {
		t.Fatalf("cookie POST without CSRF token: %d, want 403", st)
	}
	if st := send("POST", "/api/v1/tasks/01a2199d-e566-75f4-9367-6f040d5e168b/cancel", "wrong"); st != 403 {
		t.Fatalf("cookie POST with a wrong CSRF token: %d, want 403", st)
	}
	if st := send("POST", "/api/v1/tasks/01a2199d-e566-75f4-9367-6f040d5e168b/cancel", csrf); st != 404 {
		t.Fatalf("cookie POST with the CSRF token: %d, want 404 (passes CSRF, unknown task)", st)
	}
	// Bearer clients need no CSRF token.
	if r := e.do(t, "POST", "/api/v1/tasks/01a2199d-e566-75f4-9367-6f040d5e168b/cancel", session, nil, ""); r.status != 404 {
		t.Fatalf("bearer POST: %d", r.status)
	}
}

// TestBrowserSessionRenewal: a browser renews its session with the HttpOnly
// refresh cookie (CSRF-checked) and learns when the session ends from /auth/me.
func TestBrowserSessionRenewal(t *testing.T) {
	e := newEnv(t, 100)
	r := e.do(t, "POST", "/api/v1/auth/login", "", strings.NewReader(`{"username":"alice@example.org","password":"password-alice"}`), "application/json")
	cookies := map[string]string{}
	for _, ck := range r.header.Values("Set-Cookie") {
		name, rest, _ := strings.Cut(ck, "=")
		val, _, _ := strings.Cut(rest, ";")
		cookies[name] = val
		if name == "ocrbox_refresh" && (!strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "path=/api/v1/auth") ||
			!strings.Contains(strings.ToLower(ck), "samesite=strict")) {
			t.Fatalf("refresh cookie flags: %s", ck)
		}
	}
	if cookies["ocrbox_refresh"] == "" {
		t.Fatalf("no refresh cookie: %v", r.header.Values("Set-Cookie"))
	}
	var login struct {
		Session struct {
			ExpiresAt     time.Time `json:"expires_at"`
			IdleExpiresAt time.Time `json:"idle_expires_at"`
		} `json:"session"`
	}
	if err := json.Unmarshal(r.body, &login); err != nil || login.Session.ExpiresAt.IsZero() || login.Session.IdleExpiresAt.IsZero() {
		t.Fatalf("login session info: %v %s", err, r.body)
	}
	send := func(method, path, csrf string, jar map[string]string) (*http.Response, []byte) {
		req := httptest.NewRequest(method, path, nil)
		if method == "POST" {
			req = httptest.NewRequest(method, path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
		}
		var parts []string
		for k, v := range jar {
			parts = append(parts, k+"="+v)
		}
		req.Header.Set("Cookie", strings.Join(parts, "; "))
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		res, err := e.app.Test(req, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	res, body := send("GET", "/api/v1/auth/me", "", cookies)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"idle_expires_at"`) {
		t.Fatalf("/auth/me: %d %s", res.StatusCode, body)
	}
	if res, body := send("POST", "/api/v1/auth/refresh", "", cookies); res.StatusCode != 403 {
		t.Fatalf("refresh by cookie without CSRF token: %d %s, want 403", res.StatusCode, body)
	}
	res, body = send("POST", "/api/v1/auth/refresh", cookies["ocrbox_csrf"], cookies)
	if res.StatusCode != 200 {
		t.Fatalf("refresh by cookie: %d %s", res.StatusCode, body)
	}
	var again struct {
		Session struct {
			ExpiresAt time.Time `json:"expires_at"`
		} `json:"session"`
	}
	if err := json.Unmarshal(body, &again); err != nil || !again.Session.ExpiresAt.Equal(login.Session.ExpiresAt) {
		t.Fatalf("renewal moved the absolute end of the session: %v → %v (%v)", login.Session.ExpiresAt, again.Session.ExpiresAt, err)
	}
	renewed := map[string]string{}
	for _, ck := range res.Header.Values("Set-Cookie") {
		name, rest, _ := strings.Cut(ck, "=")
		val, _, _ := strings.Cut(rest, ";")
		renewed[name] = val
	}
	if renewed["ocrbox_session"] == "" || renewed["ocrbox_session"] == cookies["ocrbox_session"] || renewed["ocrbox_refresh"] == cookies["ocrbox_refresh"] {
		t.Fatalf("refresh did not rotate the cookies: %v", res.Header.Values("Set-Cookie"))
	}
	if res, _ := send("GET", "/api/v1/auth/me", "", cookies); res.StatusCode != 401 {
		t.Fatalf("old session after refresh: %d, want 401", res.StatusCode)
	}
	if res, _ := send("GET", "/api/v1/auth/me", "", renewed); res.StatusCode != 200 {
		t.Fatalf("renewed session: %d", res.StatusCode)
	}
	if res, _ := send("POST", "/api/v1/auth/refresh", cookies["ocrbox_csrf"], cookies); res.StatusCode != 401 {
		t.Fatalf("replayed refresh cookie: %d, want 401", res.StatusCode)
	}
	// Bearer clients get no session info from the JWT path but do from opaque tokens.
	if r := e.do(t, "GET", "/api/v1/auth/me", renewed["ocrbox_session"], nil, ""); !strings.Contains(string(r.body), `"expires_at"`) {
		t.Fatalf("/auth/me by bearer: %s", r.body)
	}
}
