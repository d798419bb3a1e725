package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// TestPasswordOnlyWhereTheIdPListsTheGrant: an IdP whose discovery document
// does not list the password grant never receives a password; the answer is
// sdk.ErrNotImplemented, which the host's chain passes over. Dex lists it
// (the other tests sign in through it).
func TestPasswordOnlyWhereTheIdPListsTheGrant(t *testing.T) {
	t.Parallel()
	for _, grants := range [][]string{nil, {"authorization_code", "refresh_token"}} {
		var tokenCalls atomic.Int32
		var issuer string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/.well-known/openid-configuration":
				doc := map[string]any{"issuer": issuer, "authorization_endpoint": issuer + "/auth",
					"token_endpoint": issuer + "/token", "jwks_uri": issuer + "/keys"}
				if grants != nil {
					doc["grant_types_supported"] = grants
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(doc)
			case "/token":
				tokenCalls.Add(1)
				http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			default:
				http.NotFound(w, r)
			}
		}))
		issuer = srv.URL
		p := newProvider(t, map[string]string{SettingIssuer: issuer, SettingClientID: "ocrbox", SettingClientSecret: "s3cret"})
		_, err := p.Authenticate(t.Context(), adaEmail, adaPassword)
		srv.Close()
		if !errors.Is(err, sdk.ErrNotImplemented) {
			t.Errorf("grant_types_supported %v: Authenticate = %v, want ErrNotImplemented", grants, err)
		}
		if n := tokenCalls.Load(); n != 0 {
			t.Errorf("grant_types_supported %v: the password went to the token endpoint %d times", grants, n)
		}
	}
}

// TestPromptReachesTheAuthorizationRequest: prompt=consent (for IdPs that
// grant offline_access only with it) is sent when configured, and nothing
// when not.
func TestPromptReachesTheAuthorizationRequest(t *testing.T) {
	t.Parallel()
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "authorization_endpoint": issuer + "/auth",
			"token_endpoint": issuer + "/token", "jwks_uri": issuer + "/keys"})
	}))
	defer srv.Close()
	issuer = srv.URL
	for _, prompt := range []string{"", "consent"} {
		settings := map[string]string{SettingIssuer: issuer, SettingClientID: "ocrbox"}
		if prompt != "" {
			settings[SettingPrompt] = prompt
		}
		p := newProvider(t, settings)
		authURL, err := p.BeginBrowserLogin(t.Context(), &sdk.BeginBrowserLoginRequest{State: "s", Nonce: "n",
			CodeChallenge: strings.Repeat("c", 43), RedirectUri: "http://127.0.0.1/cb"})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(authURL)
		if got := u.Query().Get("prompt"); got != prompt {
			t.Errorf("prompt setting %q: the authorization request says prompt=%q", prompt, got)
		}
	}
}

// TestInfoOffersTheIdPsEndSession: Info carries the end_session_endpoint the
// IdP advertises, unless end_session is off.
func TestInfoOffersTheIdPsEndSession(t *testing.T) {
	t.Parallel()
	var issuer string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "authorization_endpoint": issuer + "/auth",
			"token_endpoint": issuer + "/token", "jwks_uri": issuer + "/keys", "end_session_endpoint": issuer + "/session/end"})
	}))
	defer srv.Close()
	issuer = srv.URL
	for _, tt := range []struct {
		setting, want string
	}{{"", issuer + "/session/end"}, {"false", ""}} {
		settings := map[string]string{SettingIssuer: issuer, SettingClientID: "ocrbox"}
		if tt.setting != "" {
			settings[SettingEndSession] = tt.setting
		}
		info, err := newProvider(t, settings).Info(t.Context())
		if err != nil || info.GetEndSessionEndpoint() != tt.want {
			t.Errorf("end_session %q: Info end_session_endpoint %q, %v; want %q", tt.setting, info.GetEndSessionEndpoint(), err, tt.want)
		}
	}
}
