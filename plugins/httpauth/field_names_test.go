package httpauth

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestEveryEndpointsFieldsAreConfigurable: an API whose refresh, validate
// and revoke bodies and userinfo answers are shaped unlike the login answer
// is mapped by settings alone (issue 12 item 10: those bodies were fixed).
func TestEveryEndpointsFieldsAreConfigurable(t *testing.T) {
	api := newFakeAPI(t)
	got := map[string]map[string]any{}
	record := func(path string, answer any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var in map[string]any
			_ = json.NewDecoder(r.Body).Decode(&in)
			got[path] = in
			writeJSON(w, http.StatusOK, answer)
		}
	}
	api.setFault("/auth/refresh", record("/auth/refresh", map[string]any{"access_token": "at-2", "expires_in": 60}))
	api.setFault("/auth/validate", record("/auth/validate", map[string]any{"active": true}))
	api.setFault("/auth/revoke", record("/auth/revoke", map[string]any{}))
	api.setFault("/auth/userinfo", record("/auth/userinfo",
		map[string]any{"profile": map[string]any{"mail": "ada@example.org", "display": "Ada L.", "uid": "1815"}}))
	ap := startProvider(t, true, api.settings(
		keyRefreshField, "rt", keyValidateField, "access", keyValidateMethod, "POST",
		keyRevoke, "/auth/revoke", keyRevokeField, "tok",
		keyUIEmail, "profile.mail", keyUIName, "profile.display", keyUISubject, "profile.uid"))

	if _, err := ap.RefreshToken(t.Context(), "rt-SECRET-1"); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if got["/auth/refresh"]["rt"] != "rt-SECRET-1" {
		t.Errorf("refresh body %v, want the token under \"rt\"", got["/auth/refresh"])
	}
	resp, err := ap.ValidateToken(t.Context(), "at-SECRET-1")
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	if got["/auth/validate"]["access"] != "at-SECRET-1" {
		t.Errorf("validate body %v, want the token under \"access\"", got["/auth/validate"])
	}
	if u := resp.GetUser(); u.GetEmail() != "ada@example.org" || u.GetName() != "Ada L." || u.GetSubject() != "1815" {
		t.Errorf("user from userinfo's own paths: %+v", u)
	}
	if err := ap.RevokeToken(t.Context(), "rt-SECRET-1", "refresh_token"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if got["/auth/revoke"]["tok"] != "rt-SECRET-1" {
		t.Errorf("revoke body %v, want the token under \"tok\"", got["/auth/revoke"])
	}
}
