package httpauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

var sentinels = []error{sdk.ErrInvalidCredentials, sdk.ErrUnavailable, sdk.ErrNotImplemented, sdk.ErrUserNotFound, sdk.ErrUnsupported, sdk.ErrMisconfigured}

// checkErr asserts that err is of kind want (nil: no error) and of no other
// SDK kind, and that it carries no password or token: every token of the
// fake API contains SECRET.
func checkErr(t *testing.T, err, want error, msg string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("err = %v, want none", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	for _, other := range sentinels {
		if other != want && errors.Is(err, other) {
			t.Errorf("err = %v is also %v", err, other)
		}
	}
	if msg != "" && !strings.Contains(err.Error(), msg) {
		t.Errorf("err = %q, want it to contain %q", err, msg)
	}
	for _, secret := range []string{adaPassword, evePassword, "SECRET"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("err = %q contains a secret (%q)", err, secret)
		}
	}
}

// Fault handlers for the fake API.

// answer replies status with a JSON body that echoes the request, as some
// error pages do.
func answer(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		echo, _ := io.ReadAll(r.Body)
		writeJSON(w, status, map[string]string{"error": "failed", "request": string(echo)})
	}
}

func rawAnswer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

func hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func dropConnection(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

const okLogin = `{"access_token":"at-SECRET-9","expires_in":60,"user":{"id":"u9","email":"ada@example.org","name":"Ada"}}`

// TestAuthenticateErrors is the classification the host's retries and
// circuit breaker rely on.
func TestAuthenticateErrors(t *testing.T) {
	huge := `{"access_token":"at-SECRET-` + strings.Repeat("a", 2<<20) + `","user":{"email":"ada@example.org"}}`
	tests := []struct {
		name     string
		user     string
		password string
		fault    http.HandlerFunc // on /auth/login
		settings []string
		closed   bool // the API is not listening
		want     error
		msg      string
	}{
		{name: "right password", user: "ada", password: adaPassword},
		{name: "2xx other than 200 is success", user: "ada", password: adaPassword, fault: rawAnswer(http.StatusCreated, okLogin)},
		{name: "wrong password", user: "ada", password: evePassword, want: sdk.ErrInvalidCredentials},
		{name: "unknown user", user: "eve", password: evePassword, want: sdk.ErrInvalidCredentials},
		{name: "empty password is not sent", user: "ada", password: "", fault: answer(http.StatusOK), want: sdk.ErrInvalidCredentials},
		{name: "400", user: "ada", password: adaPassword, fault: answer(http.StatusBadRequest), want: sdk.ErrInvalidCredentials},
		{name: "403", user: "ada", password: adaPassword, fault: answer(http.StatusForbidden), want: sdk.ErrInvalidCredentials},
		{name: "422", user: "ada", password: adaPassword, fault: answer(http.StatusUnprocessableEntity), want: sdk.ErrInvalidCredentials},
		{name: "401 invalid_client: ocrbox refused, not the person", user: "ada", password: adaPassword,
			fault: rawAnswer(http.StatusUnauthorized, `{"error":"invalid_client"}`), want: sdk.ErrMisconfigured, msg: "refused ocrbox's own credentials"},
		{name: "401 with a Basic challenge: the API credentials in the URL", user: "ada", password: adaPassword,
			fault: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("WWW-Authenticate", `Basic realm="auth api"`)
				rawAnswer(http.StatusUnauthorized, `{"error":"unauthorized"}`)(w, r)
			}, want: sdk.ErrMisconfigured, msg: "401 at /auth/login"},
		{name: "500", user: "ada", password: adaPassword, fault: answer(http.StatusInternalServerError), want: sdk.ErrUnavailable, msg: "auth API answered 500 at /auth/login"},
		{name: "503", user: "ada", password: adaPassword, fault: answer(http.StatusServiceUnavailable), want: sdk.ErrUnavailable, msg: "auth API answered 503"},
		{name: "429", user: "ada", password: adaPassword, fault: answer(http.StatusTooManyRequests), want: sdk.ErrUnavailable, msg: "auth API answered 429"},
		{name: "404 wrong endpoint", user: "ada", password: adaPassword, fault: answer(http.StatusNotFound), want: sdk.ErrUnavailable, msg: "answered 404"},
		{name: "redirect not followed", user: "ada", password: adaPassword, fault: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/login", http.StatusFound)
		}, want: sdk.ErrUnavailable, msg: "answered 302"},
		{name: "connection refused", user: "ada", password: adaPassword, closed: true, want: sdk.ErrUnavailable, msg: "unreachable"},
		{name: "connection dropped", user: "ada", password: adaPassword, fault: dropConnection, want: sdk.ErrUnavailable, msg: "unreachable"},
		{name: "timeout", user: "ada", password: adaPassword, fault: hang, settings: []string{keyTimeout, "150ms"},
			want: sdk.ErrUnavailable, msg: "did not answer within 150ms"},
		{name: "garbage", user: "ada", password: adaPassword, fault: rawAnswer(http.StatusOK, "<html>Bad gateway "+adaPassword),
			want: sdk.ErrUnavailable, msg: "not JSON"},
		{name: "trailing garbage", user: "ada", password: adaPassword, fault: rawAnswer(http.StatusOK, okLogin+" and more"),
			want: sdk.ErrUnavailable, msg: "not JSON"},
		{name: "empty body", user: "ada", password: adaPassword, fault: rawAnswer(http.StatusOK, ""), want: sdk.ErrUnavailable, msg: "empty"},
		{name: "huge body", user: "ada", password: adaPassword, fault: rawAnswer(http.StatusOK, huge), want: sdk.ErrUnavailable, msg: "larger than"},
		{name: "missing access token", user: "ada", password: adaPassword,
			fault: rawAnswer(http.StatusOK, `{"refresh_token":"rt-SECRET-1","user":{"email":"ada@example.org"}}`),
			want:  sdk.ErrUnsupported, msg: `no access token at "access_token"`},
		{name: "missing email", user: "ada", password: adaPassword,
			fault: rawAnswer(http.StatusOK, `{"access_token":"at-SECRET-1","user":{"name":"Ada"}}`),
			want:  sdk.ErrUnsupported, msg: `no email at "user.email"`},
		{name: "non-numeric expires_in", user: "ada", password: adaPassword,
			fault: rawAnswer(http.StatusOK, `{"access_token":"at-SECRET-1","expires_in":"soon","user":{"email":"ada@example.org"}}`),
			want:  sdk.ErrUnsupported, msg: "expires_in"},
		{name: "JSON that is not an object", user: "ada", password: adaPassword, fault: rawAnswer(http.StatusOK, `["at-SECRET-1"]`),
			want: sdk.ErrUnsupported, msg: "no access token"},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					api := newFakeAPI(t)
					if tt.fault != nil {
						api.setFault("/auth/login", tt.fault)
					}
					if tt.closed {
						api.srv.Close()
					}
					ap := startProvider(t, mode.grpc, api.settings(tt.settings...))
					start := time.Now()
					resp, err := ap.Authenticate(t.Context(), tt.user, tt.password)
					checkErr(t, err, tt.want, tt.msg)
					if tt.want == nil && (resp.GetAccessToken() == "" || resp.GetUser().GetEmail() != "ada@example.org") {
						t.Errorf("Authenticate = %v", resp)
					}
					if d := time.Since(start); d > 5*time.Second {
						t.Errorf("took %s", d)
					}
				})
			}
		})
	}
}

func TestWrongPasswordAndUnknownUserLookAlike(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			api := newFakeAPI(t) // answers 401 and 403 with different bodies
			ap := startProvider(t, mode.grpc, api.settings())
			_, wrong := ap.Authenticate(t.Context(), "ada", evePassword)
			_, unknown := ap.Authenticate(t.Context(), "eve", evePassword)
			if wrong == nil || unknown == nil || wrong.Error() != unknown.Error() {
				t.Fatalf("wrong password: %v; unknown user: %v; want the same error", wrong, unknown)
			}
			if strings.Contains(wrong.Error(), "ada") || strings.Contains(unknown.Error(), "eve") {
				t.Errorf("errors name the user: %v / %v", wrong, unknown)
			}
		})
	}
}

// TestTokenMethodFaults: what each token method makes of a failing or
// oddly answering API.
func TestTokenMethodFaults(t *testing.T) {
	type method func(ctx context.Context, ap sdk.AuthProvider, tok string) error
	validate := func(ctx context.Context, ap sdk.AuthProvider, tok string) error {
		return second(ap.ValidateToken(ctx, tok))
	}
	refresh := func(ctx context.Context, ap sdk.AuthProvider, tok string) error {
		return second(ap.RefreshToken(ctx, tok))
	}
	userinfo := func(ctx context.Context, ap sdk.AuthProvider, tok string) error {
		return second(ap.GetUserInfo(ctx, tok))
	}
	revoke := func(ctx context.Context, ap sdk.AuthProvider, tok string) error {
		return ap.RevokeToken(ctx, tok, "refresh_token")
	}
	lookup := func(ctx context.Context, ap sdk.AuthProvider, _ string) error {
		return second(ap.LookupUser(ctx, "ada@example.org"))
	}
	tests := []struct {
		name   string
		call   method
		path   string
		fault  http.HandlerFunc
		closed bool
		want   error
		msg    string
	}{
		{"validate 503", validate, "/auth/validate", answer(http.StatusServiceUnavailable), false, sdk.ErrUnavailable, "answered 503"},
		{"validate 403", validate, "/auth/validate", answer(http.StatusForbidden), false, sdk.ErrInvalidCredentials, ""},
		{"validate garbage", validate, "/auth/validate", rawAnswer(http.StatusOK, "nope"), false, sdk.ErrUnavailable, "not JSON"},
		{"validate down", validate, "", nil, true, sdk.ErrUnavailable, "unreachable"},
		{"refresh 500", refresh, "/auth/refresh", answer(http.StatusInternalServerError), false, sdk.ErrUnavailable, "answered 500"},
		{"refresh 401", refresh, "/auth/refresh", answer(http.StatusUnauthorized), false, sdk.ErrInvalidCredentials, ""},
		{"refresh without access token", refresh, "/auth/refresh", rawAnswer(http.StatusOK, `{"refresh_token":"rt-SECRET-2"}`), false, sdk.ErrUnsupported, "no access token"},
		{"refresh timeout", refresh, "/auth/refresh", hang, false, sdk.ErrUnavailable, "did not answer"},
		{"userinfo 429", userinfo, "/auth/userinfo", answer(http.StatusTooManyRequests), false, sdk.ErrUnavailable, "answered 429"},
		{"userinfo without email", userinfo, "/auth/userinfo", rawAnswer(http.StatusOK, `{"user":{"name":"Ada"}}`), false, sdk.ErrUnsupported, "no email"},
		{"revoke 500", revoke, "/auth/revoke", answer(http.StatusInternalServerError), false, sdk.ErrUnavailable, "answered 500"},
		{"revoke 400", revoke, "/auth/revoke", answer(http.StatusBadRequest), false, sdk.ErrInvalidCredentials, ""},
		{"revoke 200 with a body", revoke, "/auth/revoke", rawAnswer(http.StatusOK, `{"revoked":true}`), false, nil, ""},
		{"lookup 410", lookup, "/auth/lookup", answer(http.StatusGone), false, sdk.ErrUserNotFound, ""},
		// ocrbox may not ask: that says nothing about the user, so no
		// sessions may end because of it.
		{"lookup 401", lookup, "/auth/lookup", answer(http.StatusUnauthorized), false, sdk.ErrUnavailable, "answered 401"},
		{"lookup 503", lookup, "/auth/lookup", answer(http.StatusServiceUnavailable), false, sdk.ErrUnavailable, "answered 503"},
		{"lookup empty 200", lookup, "/auth/lookup", rawAnswer(http.StatusOK, ""), false, nil, ""},
		{"lookup garbage", lookup, "/auth/lookup", rawAnswer(http.StatusOK, "<html>"), false, sdk.ErrUnavailable, "not JSON"},
		{"lookup down", lookup, "", nil, true, sdk.ErrUnavailable, "unreachable"},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					api := newFakeAPI(t)
					if tt.fault != nil {
						api.setFault(tt.path, tt.fault)
					}
					if tt.closed {
						api.srv.Close()
					}
					ap := startProvider(t, mode.grpc, api.settings(keyTimeout, "200ms", keyRevoke, "/auth/revoke", keyLookup, "/auth/lookup"))
					checkErr(t, tt.call(t.Context(), ap, "tok-SECRET-1"), tt.want, tt.msg)
				})
			}
		})
	}
}

func TestCallerCancellation(t *testing.T) {
	api := newFakeAPI(t)
	api.setFault("/auth/login", hang)
	ap := startProvider(t, false, api.settings())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := ap.Authenticate(ctx, "ada", adaPassword)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("Authenticate with an expired ctx = %v, want the ctx's error only", err)
	}
}
