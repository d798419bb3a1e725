package httpauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/plugins/sdk/sdktest"
)

// modes runs a test against the Provider directly and as the host sees it:
// behind go-plugin's real gRPC server and the SDK's adapters, where only
// the gRPC status code carries the error's kind.
var modes = []struct {
	name string
	grpc bool
}{{"direct", false}, {"grpc", true}}

// startProvider returns a Provider configured with settings, seen directly
// or through gRPC.
func startProvider(t *testing.T, viaGRPC bool, settings map[string]string) sdk.AuthProvider {
	t.Helper()
	var ap sdk.AuthProvider = New()
	if viaGRPC {
		ap = overGRPC(t, ap)
	}
	if err := ap.Configure(t.Context(), settings); err != nil {
		t.Fatalf("Configure = %v", err)
	}
	return ap
}

func overGRPC(t *testing.T, impl sdk.AuthProvider) sdk.AuthProvider {
	t.Helper()
	return sdktest.DispenseAuth(t, impl)
}

func TestAuthenticateDefaultMapping(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			api := newFakeAPI(t)
			ap := startProvider(t, mode.grpc, api.settings())
			resp, err := ap.Authenticate(t.Context(), "ada", adaPassword)
			if err != nil {
				t.Fatal(err)
			}
			want := &sdk.UserInfo{Subject: "1815", Email: "ada@example.org", Name: "Ada Lovelace"}
			if u := resp.GetUser(); u.GetSubject() != want.Subject || u.GetEmail() != want.Email || u.GetName() != want.Name || len(u.GetExtra()) != 0 {
				t.Errorf("user = %v, want %v", u, want)
			}
			if resp.GetAccessToken() != "at-SECRET-1" || resp.GetRefreshToken() != "rt-SECRET-1" ||
				resp.GetIdToken() != "idt-SECRET-at-SECRET-1" || resp.GetExpiresIn() != 900 {
				t.Errorf("tokens = %v", resp)
			}
			req := api.last(t, "/auth/login")
			wantBody := map[string]any{"username": "ada", "password": adaPassword}
			if req.method != http.MethodPost || req.contentType != "application/json" || !reflect.DeepEqual(req.body, wantBody) {
				t.Errorf("login request = %+v, want POST application/json %v", req, wantBody)
			}
		})
	}
}

// An API shaped nothing like the default: another base path, field names,
// nesting, a string expiry, a numeric id, and extra fields.
func TestAuthenticateCustomMapping(t *testing.T) {
	const answerBody = `{
	  "status": "ok",
	  "id_token": "idt-SECRET-ignored",
	  "data": {
	    "tokens": {"access": "at-SECRET-x", "renew": "rt-SECRET-x", "ttl": "3600"},
	    "account": {
	      "uid": 12345678901234567,
	      "mail": "grace@example.org",
	      "profile": {"display_name": "Grace Hopper"},
	      "department": "Navy",
	      "memberships": ["compilers", "cobol"],
	      "flags": ["mfa", "vpn"],
	      "manager": {"mail": "boss@example.org"}
	    }
	  }
	}`
	var (
		mu  sync.Mutex
		got map[string]any
	)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/sessions", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = nil
		_ = json.NewDecoder(r.Body).Decode(&got)
		mu.Unlock()
		rawAnswer(http.StatusOK, answerBody)(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	settings := map[string]string{
		keyAPIURL:         srv.URL + "/api/v2/",
		keyLoginEndpoint:  "sessions",
		keyUsernameField:  "login",
		keyPasswordField:  "secret",
		keyMapAccess:      "data.tokens.access",
		keyMapRefresh:     "data.tokens.renew",
		keyMapID:          "",
		keyMapExpiresIn:   "data.tokens.ttl",
		keyMapEmail:       "data.account.mail",
		keyMapName:        "data.account.profile.display_name",
		keyMapSubject:     "data.account.uid",
		keyMapExtra:       "data.account.department, groups=data.account.memberships, first_flag=data.account.flags.0, manager=data.account.manager, data.account.missing",
		keyValidate:       "",
		keyRefresh:        "",
		keyUserinfo:       "",
		keyValidateMethod: "post",
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			ap := startProvider(t, mode.grpc, settings)
			resp, err := ap.Authenticate(t.Context(), "grace", "Cobol-1959")
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			if want := map[string]any{"login": "grace", "secret": "Cobol-1959"}; !reflect.DeepEqual(got, want) {
				t.Errorf("login body = %v, want %v", got, want)
			}
			mu.Unlock()
			u := resp.GetUser()
			if u.GetSubject() != "12345678901234567" || u.GetEmail() != "grace@example.org" || u.GetName() != "Grace Hopper" {
				t.Errorf("user = %v", u)
			}
			wantExtra := map[string]string{"department": "Navy", "groups": "compilers,cobol", "first_flag": "mfa",
				"manager": `{"mail":"boss@example.org"}`}
			if !reflect.DeepEqual(u.GetExtra(), wantExtra) {
				t.Errorf("extra = %v, want %v", u.GetExtra(), wantExtra)
			}
			if resp.GetAccessToken() != "at-SECRET-x" || resp.GetRefreshToken() != "rt-SECRET-x" || resp.GetIdToken() != "" || resp.GetExpiresIn() != 3600 {
				t.Errorf("tokens = %v", resp)
			}
			info, err := ap.Info(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if info.GetValidatesJwt() || info.GetSupportsRefresh() || info.GetSupportsRevoke() {
				t.Errorf("Info = %v, want no validate, refresh or revoke", info)
			}
			for name, err := range map[string]error{
				"ValidateToken": second(ap.ValidateToken(t.Context(), "at-SECRET-x")),
				"RefreshToken":  second(ap.RefreshToken(t.Context(), "rt-SECRET-x")),
				"GetUserInfo":   second(ap.GetUserInfo(t.Context(), "at-SECRET-x")),
				"LookupUser":    second(ap.LookupUser(t.Context(), "grace@example.org")),
				"RevokeToken":   ap.RevokeToken(t.Context(), "at-SECRET-x", "access_token"),
			} {
				if !errors.Is(err, sdk.ErrNotImplemented) {
					t.Errorf("%s = %v, want ErrNotImplemented", name, err)
				}
			}
		})
	}
}

func second[T any](_ T, err error) error { return err }

// TestTokenMethods covers validate, refresh, userinfo, revoke and lookup
// against the fake API, happy and sad.
func TestTokenMethods(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			api := newFakeAPI(t)
			ap := startProvider(t, mode.grpc, api.settings(keyRevoke, "/auth/revoke", keyLookup, "/auth/lookup"))
			ctx := t.Context()
			login, err := ap.Authenticate(ctx, "ada", adaPassword)
			if err != nil {
				t.Fatal(err)
			}
			at, rt := login.GetAccessToken(), login.GetRefreshToken()

			t.Run("validate", func(t *testing.T) {
				resp, err := ap.ValidateToken(ctx, at)
				if err != nil {
					t.Fatal(err)
				}
				if resp.GetUser().GetEmail() != "ada@example.org" || resp.GetAccessToken() != at || resp.GetExpiresIn() != 600 {
					t.Errorf("ValidateToken = %v", resp)
				}
				if req := api.last(t, "/auth/validate"); req.method != http.MethodGet || req.auth != "Bearer "+at || req.body != nil {
					t.Errorf("validate request = %+v, want GET with the bearer", req)
				}
				_, err = ap.ValidateToken(ctx, "at-SECRET-forged")
				checkErr(t, err, sdk.ErrInvalidCredentials, "")
				_, err = ap.ValidateToken(ctx, "")
				checkErr(t, err, sdk.ErrInvalidCredentials, "")
			})
			t.Run("userinfo", func(t *testing.T) {
				u, err := ap.GetUserInfo(ctx, at)
				if err != nil {
					t.Fatal(err)
				}
				if u.GetEmail() != "ada@example.org" || u.GetSubject() != "1815" || u.GetName() != "Ada Lovelace" {
					t.Errorf("GetUserInfo = %v", u)
				}
				if req := api.last(t, "/auth/userinfo"); req.method != http.MethodGet || req.auth != "Bearer "+at {
					t.Errorf("userinfo request = %+v", req)
				}
				_, err = ap.GetUserInfo(ctx, "at-SECRET-forged")
				checkErr(t, err, sdk.ErrInvalidCredentials, "")
			})
			t.Run("lookup", func(t *testing.T) {
				u, err := ap.LookupUser(ctx, "ada@example.org")
				if err != nil {
					t.Fatal(err)
				}
				if u.GetEmail() != "ada@example.org" || u.GetSubject() != "1815" {
					t.Errorf("LookupUser = %v", u)
				}
				if req := api.last(t, "/auth/lookup"); req.method != http.MethodGet || req.query.Get("email") != "ada@example.org" {
					t.Errorf("lookup request = %+v", req)
				}
				_, err = ap.LookupUser(ctx, "gone@example.org")
				checkErr(t, err, sdk.ErrUserNotFound, "")
			})
			t.Run("refresh", func(t *testing.T) {
				resp, err := ap.RefreshToken(ctx, rt)
				if err != nil {
					t.Fatal(err)
				}
				if resp.GetAccessToken() == "" || resp.GetAccessToken() == at || resp.GetRefreshToken() == rt || resp.GetExpiresIn() != 900 {
					t.Errorf("RefreshToken = %v, want new tokens", resp)
				}
				if resp.GetUser() != nil {
					t.Errorf("RefreshToken user = %v, want none (the answer has no email)", resp.GetUser())
				}
				req := api.last(t, "/auth/refresh")
				if want := map[string]any{"refresh_token": rt}; req.method != http.MethodPost || !reflect.DeepEqual(req.body, want) {
					t.Errorf("refresh request = %+v", req)
				}
				// Rotated: the old refresh token is spent.
				_, err = ap.RefreshToken(ctx, rt)
				checkErr(t, err, sdk.ErrInvalidCredentials, "")
				at, rt = resp.GetAccessToken(), resp.GetRefreshToken()
			})
			t.Run("revoke", func(t *testing.T) {
				if err := ap.RevokeToken(ctx, at, "access_token"); err != nil {
					t.Fatal(err)
				}
				req := api.last(t, "/auth/revoke")
				if want := map[string]any{"token": at, "token_type_hint": "access_token"}; req.method != http.MethodPost || !reflect.DeepEqual(req.body, want) {
					t.Errorf("revoke request = %+v", req)
				}
				_, err := ap.ValidateToken(ctx, at)
				checkErr(t, err, sdk.ErrInvalidCredentials, "")
				if err := ap.RevokeToken(ctx, rt, ""); err != nil {
					t.Fatal(err)
				}
				if req := api.last(t, "/auth/revoke"); !reflect.DeepEqual(req.body, map[string]any{"token": rt}) {
					t.Errorf("revoke without a hint sent %v", req.body)
				}
			})
		})
	}
}

func TestValidateVariants(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Run("POST method", func(t *testing.T) {
				api := newFakeAPI(t)
				ap := startProvider(t, mode.grpc, api.settings(keyValidateMethod, "POST"))
				login, err := ap.Authenticate(t.Context(), "ada", adaPassword)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := ap.ValidateToken(t.Context(), login.GetAccessToken())
				if err != nil || resp.GetUser().GetEmail() != "ada@example.org" {
					t.Fatalf("ValidateToken = %v, %v", resp, err)
				}
				req := api.last(t, "/auth/validate")
				if want := map[string]any{"token": login.GetAccessToken()}; req.method != http.MethodPost || req.auth != "" || !reflect.DeepEqual(req.body, want) {
					t.Errorf("validate request = %+v, want POST %v", req, want)
				}
				_, err = ap.ValidateToken(t.Context(), "at-SECRET-forged")
				checkErr(t, err, sdk.ErrInvalidCredentials, "")
			})
			t.Run("answer without user asks userinfo", func(t *testing.T) {
				api := newFakeAPI(t)
				api.setFault("/auth/validate", rawAnswer(http.StatusNoContent, ""))
				ap := startProvider(t, mode.grpc, api.settings())
				login, err := ap.Authenticate(t.Context(), "ada", adaPassword)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := ap.ValidateToken(t.Context(), login.GetAccessToken())
				if err != nil || resp.GetUser().GetEmail() != "ada@example.org" || resp.GetExpiresIn() != 0 {
					t.Fatalf("ValidateToken = %v, %v", resp, err)
				}
				if req := api.last(t, "/auth/userinfo"); req.auth != "Bearer "+login.GetAccessToken() {
					t.Errorf("userinfo request = %+v", req)
				}
			})
			t.Run("answer without user and no userinfo", func(t *testing.T) {
				api := newFakeAPI(t)
				api.setFault("/auth/validate", rawAnswer(http.StatusOK, `{"active":true}`))
				ap := startProvider(t, mode.grpc, api.settings(keyUserinfo, ""))
				_, err := ap.ValidateToken(t.Context(), "at-SECRET-1")
				checkErr(t, err, sdk.ErrUnsupported, "no email")
			})
		})
	}
}

func TestRefreshKeepsUnrotatedToken(t *testing.T) {
	api := newFakeAPI(t)
	api.setFault("/auth/refresh", rawAnswer(http.StatusOK, `{"access_token":"at-SECRET-new","expires_in":120,"user":{"email":"ada@example.org","id":"7"}}`))
	ap := startProvider(t, true, api.settings())
	resp, err := ap.RefreshToken(t.Context(), "rt-SECRET-old")
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetAccessToken() != "at-SECRET-new" || resp.GetRefreshToken() != "rt-SECRET-old" || resp.GetExpiresIn() != 120 {
		t.Errorf("RefreshToken = %v", resp)
	}
	if resp.GetUser().GetSubject() != "7" {
		t.Errorf("user = %v", resp.GetUser())
	}
}

func TestInfo(t *testing.T) {
	tests := []struct {
		name     string
		settings []string
		want     *sdk.ProviderInfo
	}{
		{"defaults", nil, &sdk.ProviderInfo{Name: "http", DisplayName: "Organisation account",
			SupportsPassword: true, SupportsRefresh: true, ValidatesJwt: true}},
		{"everything", []string{keyDisplayName, "ACME staff", keyRevoke, "/auth/revoke"}, &sdk.ProviderInfo{Name: "http",
			DisplayName: "ACME staff", SupportsPassword: true, SupportsRefresh: true, ValidatesJwt: true, SupportsRevoke: true}},
		{"login only", []string{keyValidate, "", keyRefresh, ""}, &sdk.ProviderInfo{Name: "http",
			DisplayName: "Organisation account", SupportsPassword: true}},
	}
	for _, mode := range modes {
		for _, tt := range tests {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				settings := map[string]string{keyAPIURL: "https://auth.example.org"}
				for i := 0; i+1 < len(tt.settings); i += 2 {
					settings[tt.settings[i]] = tt.settings[i+1]
				}
				ap := startProvider(t, mode.grpc, settings)
				info, err := ap.Info(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if info.GetName() != tt.want.Name || info.GetDisplayName() != tt.want.DisplayName ||
					info.GetSupportsPassword() != tt.want.SupportsPassword || info.GetSupportsRefresh() != tt.want.SupportsRefresh ||
					info.GetValidatesJwt() != tt.want.ValidatesJwt || info.GetSupportsRevoke() != tt.want.SupportsRevoke ||
					info.GetSupportsBrowserLogin() || info.GetVersion() != Version {
					t.Errorf("Info = %v, want %v", info, tt.want)
				}
			})
		}
	}
}

func TestNotConfigured(t *testing.T) {
	p := New()
	if _, err := p.Authenticate(t.Context(), "ada", adaPassword); !errors.Is(err, errNotConfigured) {
		t.Errorf("Authenticate before Configure = %v", err)
	}
	if _, err := p.Info(t.Context()); !errors.Is(err, errNotConfigured) {
		t.Errorf("Info before Configure = %v", err)
	}
	// A failed Configure leaves the provider as it was.
	if err := p.Configure(t.Context(), map[string]string{}); err == nil {
		t.Fatal("Configure without a URL succeeded")
	}
	if _, err := p.ValidateToken(t.Context(), "tok"); !errors.Is(err, errNotConfigured) {
		t.Errorf("ValidateToken after a failed Configure = %v", err)
	}
}

func TestReconfigureReplacesSettings(t *testing.T) {
	api := newFakeAPI(t)
	p := New()
	if err := p.Configure(t.Context(), api.settings(keyRevoke, "/auth/revoke")); err != nil {
		t.Fatal(err)
	}
	if err := p.RevokeToken(t.Context(), "at-SECRET-1", ""); err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(t.Context(), api.settings()); err != nil {
		t.Fatal(err)
	}
	if err := p.RevokeToken(t.Context(), "at-SECRET-1", ""); !errors.Is(err, sdk.ErrNotImplemented) {
		t.Fatalf("RevokeToken after revoke_endpoint was dropped = %v", err)
	}
}

// Basic-auth credentials in the base URL reach the API on requests without
// a bearer token (lookup) and never reach an error message.
func TestBaseURLCredentials(t *testing.T) {
	api := newFakeAPI(t)
	base := strings.Replace(api.srv.URL, "http://", "http://ocrbox:pw-SECRET@", 1)
	ap := startProvider(t, true, map[string]string{keyAPIURL: base, keyLookup: "/auth/lookup"})
	if _, err := ap.LookupUser(t.Context(), "ada@example.org"); err != nil {
		t.Fatal(err)
	}
	if req := api.last(t, "/auth/lookup"); req.auth != "Basic b2NyYm94OnB3LVNFQ1JFVA==" {
		t.Errorf("lookup Authorization = %q, want basic auth", req.auth)
	}
	login, err := ap.Authenticate(t.Context(), "ada", adaPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ap.GetUserInfo(t.Context(), login.GetAccessToken()); err != nil {
		t.Fatal(err)
	}
	if req := api.last(t, "/auth/userinfo"); req.auth != "Bearer "+login.GetAccessToken() {
		t.Errorf("userinfo Authorization = %q, want the bearer", req.auth)
	}
	api.srv.Close()
	_, err = ap.Authenticate(t.Context(), "ada", adaPassword)
	checkErr(t, err, sdk.ErrUnavailable, "unreachable")
	_, err = ap.LookupUser(t.Context(), "ada@example.org")
	checkErr(t, err, sdk.ErrUnavailable, "unreachable")
}
