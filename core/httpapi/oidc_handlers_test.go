package httpapi_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestBrowserSignInErrorsEndOnTheSignInPage: whatever goes wrong in a
// browser sign-in, the person lands on the sign-in page with a sentence,
// never on a JSON body; API clients keep the JSON error.
func TestBrowserSignInErrorsEndOnTheSignInPage(t *testing.T) {
	e := newEnv(t, 100)
	tests := []struct {
		name, path, accept string
		redirect           bool
		says               string
	}{
		{"IdP refused", "/api/v1/auth/oidc/callback?error=access_denied&state=x", "text/html", true, "cancelled or refused"},
		{"IdP error with a description", "/api/v1/auth/oidc/callback?error=invalid_scope&error_description=scope+offline_access+not+allowed", "text/html", true, "(invalid_scope): scope offline_access not allowed"},
		{"unknown provider, browser", "/api/v1/auth/oidc/login?provider=nope", "text/html,application/xhtml+xml", true, ""},
		{"unknown provider, API client", "/api/v1/auth/oidc/login?provider=nope", "application/json", false, ""},
		{"forged callback, browser", "/api/v1/auth/oidc/callback?state=a&code=b", "text/html", true, "sign-in attempt expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tt.path, nil)
			req.Header.Set("Accept", tt.accept)
			res, err := e.app.Test(req, 10_000)
			if err != nil {
				t.Fatal(err)
			}
			loc := res.Header.Get("Location")
			if !tt.redirect {
				if res.StatusCode < 400 || !strings.Contains(res.Header.Get("Content-Type"), "json") {
					t.Fatalf("API client: %d %q, want a JSON error", res.StatusCode, res.Header.Get("Content-Type"))
				}
				return
			}
			if res.StatusCode != 302 || !strings.HasPrefix(loc, "/login?login_error=") {
				t.Fatalf("%d → %q, want a redirect to the sign-in page", res.StatusCode, loc)
			}
			u, _ := url.Parse(loc)
			if msg := u.Query().Get("login_error"); !strings.Contains(msg, tt.says) || msg == "" {
				t.Fatalf("the sign-in page would say %q, want it to contain %q", msg, tt.says)
			}
		})
	}
}
