package oidc

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// fakeIdP is an identity provider reduced to a discovery document and a
// token endpoint that answers as the test says and counts its requests: for
// what ocrbox does before and around the token request.
type fakeIdP struct {
	issuer string
	tokens atomic.Int32
}

// newFakeIdP serves discovery (extra fields added to the minimal document)
// and answers every token request with status and body.
func newFakeIdP(t *testing.T, extra map[string]any, status int, body string) *fakeIdP {
	t.Helper()
	f := &fakeIdP{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			doc := map[string]any{"issuer": f.issuer, "authorization_endpoint": f.issuer + "/auth",
				"token_endpoint": f.issuer + "/token", "jwks_uri": f.issuer + "/keys"}
			for k, v := range extra {
				doc[k] = v
			}
			_ = json.NewEncoder(w).Encode(doc)
		case "/token":
			f.tokens.Add(1)
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	f.issuer = srv.URL
	return f
}

// provider is a configured provider for this IdP; kv adds settings.
func (f *fakeIdP) provider(t *testing.T, kv ...string) *Provider {
	t.Helper()
	s := map[string]string{SettingIssuer: f.issuer, SettingClientID: "ocrbox", SettingClientSecret: "s3cret"}
	for i := 0; i+1 < len(kv); i += 2 {
		s[kv[i]] = kv[i+1]
	}
	return newProvider(t, s)
}
