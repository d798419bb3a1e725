package oidc

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// completeRequest is a well-formed callback with iss.
func completeRequest(iss string) *sdk.CompleteBrowserLoginRequest {
	return &sdk.CompleteBrowserLoginRequest{Code: "the-code", CodeVerifier: strings.Repeat("v", 43),
		RedirectUri: "http://127.0.0.1/cb", Nonce: "n", Iss: iss}
}

// TestCodeExchangedOnceWhateverTheAnswer: the token endpoint sees each
// authorization code once, whatever it answers; a refusal of ocrbox's own
// client credentials is sdk.ErrMisconfigured, not an outage.
func TestCodeExchangedOnceWhateverTheAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"server error", 500, `{"error":"server_error"}`, sdk.ErrUnavailable},
		{"bad gateway", 502, `bad gateway`, sdk.ErrUnavailable},
		{"wrong client secret", 401, `{"error":"invalid_client"}`, sdk.ErrMisconfigured},
		{"code already used", 400, `{"error":"invalid_grant"}`, sdk.ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			idp := newFakeIdP(t, nil, tt.status, tt.body)
			_, err := idp.provider(t).CompleteBrowserLogin(t.Context(), completeRequest(""))
			if !errors.Is(err, tt.want) {
				t.Errorf("CompleteBrowserLogin = %v, want %v", err, tt.want)
			}
			if n := idp.tokens.Load(); n != 1 {
				t.Errorf("the code went to the token endpoint %d times, want once", n)
			}
		})
	}
}

// TestUndelivered: only a request that never left counts as undelivered.
func TestUndelivered(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = http.Post("http://"+addr+"/token", "application/x-www-form-urlencoded", nil)
	if err == nil || !undelivered(err) {
		t.Errorf("connection refused: undelivered(%v) = false", err)
	}
	if undelivered(errors.New("token endpoint answered 500")) {
		t.Error("an answer counted as undelivered")
	}
}

// TestAuthorizationResponseIssuer (RFC 9207): a callback naming another
// issuer is refused before the code is exchanged, and so is one without
// iss from an IdP that promises it.
func TestAuthorizationResponseIssuer(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		promise bool
		iss     string // "self" for the right issuer
		refused bool
	}{
		{"right issuer", true, "self", false},
		{"another issuer (mix-up)", false, "https://evil.example", true},
		{"missing although promised", true, "", true},
		{"missing, not promised", false, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			idp := newFakeIdP(t, map[string]any{"authorization_response_iss_parameter_supported": tt.promise},
				400, `{"error":"invalid_grant"}`)
			iss := tt.iss
			if iss == "self" {
				iss = idp.issuer
			}
			_, err := idp.provider(t).CompleteBrowserLogin(t.Context(), completeRequest(iss))
			if !errors.Is(err, sdk.ErrInvalidCredentials) {
				t.Fatalf("CompleteBrowserLogin = %v, want a refusal", err)
			}
			if sent := idp.tokens.Load() > 0; sent == tt.refused {
				t.Errorf("code sent to the token endpoint: %v; a refused response must not be exchanged, an accepted one must", sent)
			}
		})
	}
}
