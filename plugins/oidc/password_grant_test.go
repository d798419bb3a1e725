package oidc

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
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
