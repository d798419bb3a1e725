package oidc

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// TestPasswordOnlyWhereTheIdPListsTheGrant: an IdP whose discovery document
// does not list the password grant never receives a password; the answer is
// sdk.ErrNotImplemented, which the host's chain passes over. Dex lists it
// (the other tests sign in through it).
func TestPasswordOnlyWhereTheIdPListsTheGrant(t *testing.T) {
	t.Parallel()
	for _, extra := range []map[string]any{nil, {"grant_types_supported": []string{"authorization_code", "refresh_token"}}} {
		idp := newFakeIdP(t, extra, 400, `{"error":"invalid_grant"}`)
		_, err := idp.provider(t).Authenticate(t.Context(), adaEmail, adaPassword)
		if !errors.Is(err, sdk.ErrNotImplemented) {
			t.Errorf("discovery %v: Authenticate = %v, want ErrNotImplemented", extra, err)
		}
		if n := idp.tokens.Load(); n != 0 {
			t.Errorf("discovery %v: the password went to the token endpoint %d times", extra, n)
		}
	}
}

// TestPromptReachesTheAuthorizationRequest: prompt=consent (for IdPs that
// grant offline_access only with it) is sent when configured, and nothing
// when not.
func TestPromptReachesTheAuthorizationRequest(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t, nil, 400, "")
	for _, prompt := range []string{"", "consent"} {
		var kv []string
		if prompt != "" {
			kv = []string{SettingPrompt, prompt}
		}
		authURL, err := idp.provider(t, kv...).BeginBrowserLogin(t.Context(), &sdk.BeginBrowserLoginRequest{State: "s", Nonce: "n",
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
	idp := newFakeIdP(t, map[string]any{"end_session_endpoint": "https://idp.example.org/session/end"}, 400, "")
	for _, tt := range []struct {
		kv   []string
		want string
	}{{nil, "https://idp.example.org/session/end"}, {[]string{SettingEndSession, "false"}, ""}} {
		info, err := idp.provider(t, tt.kv...).Info(t.Context())
		if err != nil || info.GetEndSessionEndpoint() != tt.want {
			t.Errorf("settings %v: Info end_session_endpoint %q, %v; want %q", tt.kv, info.GetEndSessionEndpoint(), err, tt.want)
		}
	}
}
