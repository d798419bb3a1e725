package httpapi_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSignInRefusesCrossSite: a page on another site cannot sign a visitor's
// browser into an account (login CSRF). Sign-in takes JSON only, which an
// HTML form cannot send, and a browser request another site started is
// refused whatever its body; clients that are not browsers are unaffected.
func TestSignInRefusesCrossSite(t *testing.T) {
	e := newEnv(t, 100)
	const good = `{"username":"alice@example.org","password":"password-alice"}`
	tests := []struct {
		name        string
		path        string
		body        string
		contentType string
		headers     map[string]string
		status      int
		code        string
	}{
		{"urlencoded form", "/api/v1/auth/login", "username=alice%40example.org&password=password-alice", "application/x-www-form-urlencoded", nil, 415, "unsupported_media_type"},
		{"multipart form", "/api/v1/auth/login", "--b\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice@example.org\r\n--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\npassword-alice\r\n--b--\r\n", "multipart/form-data; boundary=b", nil, 415, "unsupported_media_type"},
		// enctype=text/plain with a field named like JSON: the classic trick.
		{"text/plain that looks like JSON", "/api/v1/auth/login", good, "text/plain", nil, 415, "unsupported_media_type"},
		{"no content type", "/api/v1/auth/login", good, "", nil, 415, "unsupported_media_type"},
		{"JSON from another site", "/api/v1/auth/login", good, "application/json", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "csrf_failed"},
		{"JSON from a sibling site", "/api/v1/auth/login", good, "application/json", map[string]string{"Sec-Fetch-Site": "same-site"}, 403, "csrf_failed"},
		{"old browser, foreign Origin", "/api/v1/auth/login", good, "application/json", map[string]string{"Origin": "https://evil.example"}, 403, "csrf_failed"},
		{"refresh as a form", "/api/v1/auth/refresh", "refresh_token=x", "application/x-www-form-urlencoded", nil, 415, "unsupported_media_type"},
		{"refresh from another site", "/api/v1/auth/refresh", `{"refresh_token":"x"}`, "application/json", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "csrf_failed"},
		{"same-origin page", "/api/v1/auth/login", good, "application/json", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, 200, ""},
		{"typed address (none)", "/api/v1/auth/login", good, "application/json; charset=utf-8", map[string]string{"Sec-Fetch-Site": "none"}, 200, ""},
		{"old browser, own Origin", "/api/v1/auth/login", good, "application/json", map[string]string{"Origin": "http://example.com"}, 200, ""},
		{"API client", "/api/v1/auth/login", good, "application/json", nil, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			res, err := e.app.Test(req, 10_000)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			r := resp{status: res.StatusCode, header: res.Header, body: body}
			if r.status != tt.status {
				t.Fatalf("got %d %s, want %d", r.status, body, tt.status)
			}
			if tt.status == 200 && res.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("sign-in answer with tokens has Cache-Control %q, want no-store", res.Header.Get("Cache-Control"))
			}
			if tt.code != "" {
				if got := r.errCode(t); got != tt.code {
					t.Fatalf("code %q, want %q", got, tt.code)
				}
				if c := res.Header.Values("Set-Cookie"); len(c) != 0 {
					t.Fatalf("a refused sign-in set cookies: %v", c)
				}
			}
		})
	}
	// Any state-changing request another site starts is refused, even with a
	// valid bearer token (defence in depth; cookies need their CSRF token too).
	tok := e.login(t, "alice")
	req := httptest.NewRequest("POST", "/api/v1/auth/logout", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := e.app.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 403 {
		t.Fatalf("cross-site logout: %d, want 403", res.StatusCode)
	}
	if r := e.do(t, "GET", "/api/v1/auth/me", tok, nil, ""); r.status != 200 {
		t.Fatalf("the refused logout ended the session: %d", r.status)
	}
}

// TestLogoutClearsEveryCookie: logout expires each cookie with the path it
// was set with; a browser ignores a clearing Set-Cookie whose path differs,
// and the session and CSRF cookies would stay.
func TestLogoutClearsEveryCookie(t *testing.T) {
	e := newEnv(t, 100)
	r := e.do(t, "POST", "/api/v1/auth/login", "", strings.NewReader(`{"username":"alice@example.org","password":"password-alice"}`), "application/json")
	set := map[string]string{}
	jar := []string{}
	for _, ck := range r.header.Values("Set-Cookie") {
		name, rest, _ := strings.Cut(ck, "=")
		val, _, _ := strings.Cut(rest, ";")
		set[name] = ck
		jar = append(jar, name+"="+val)
	}
	req := httptest.NewRequest("POST", "/api/v1/auth/logout", nil)
	req.Header.Set("Cookie", strings.Join(jar, "; "))
	for _, ck := range jar {
		if name, val, _ := strings.Cut(ck, "="); name == "ocrbox_csrf" {
			req.Header.Set("X-CSRF-Token", val)
		}
	}
	res, err := e.app.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 204 {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	cleared := map[string]string{}
	for _, ck := range res.Header.Values("Set-Cookie") {
		name, _, _ := strings.Cut(ck, "=")
		cleared[name] = ck
	}
	pathOf := func(ck string) string {
		for _, attr := range strings.Split(ck, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(attr), "="); ok && strings.EqualFold(k, "path") {
				return v
			}
		}
		return ""
	}
	for _, name := range []string{"ocrbox_session", "ocrbox_csrf", "ocrbox_refresh"} {
		c, ok := cleared[name]
		if !ok {
			t.Errorf("logout does not clear %s", name)
			continue
		}
		if !strings.Contains(c, name+"=;") || !strings.Contains(strings.ToLower(c), "expires=thu, 01 jan 1970") {
			t.Errorf("%s is not expired: %s", name, c)
		}
		if got, want := pathOf(c), pathOf(set[name]); got != want || want == "" {
			t.Errorf("%s cleared with path %q, set with %q: the browser keeps it", name, got, want)
		}
	}
}
