package localauth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/plugins/sdk/sdktest"
)

func newTestProvider(t *testing.T) (*Provider, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.json")
	u := openUserFile(path, testParams)
	mustAdd(t, u, "ada@example.org", "Ada Lovelace", "analytical-engine")
	mustAdd(t, u, "carol@example.org", "Carol", "carol-pass")
	if err := u.SetDisabled(t.Context(), "carol@example.org", true); err != nil {
		t.Fatal(err)
	}
	p := New()
	p.params = testParams
	return p, path
}

func TestProviderConfigure(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		settings map[string]string
		wantErr  string
	}{
		{"missing key", map[string]string{}, `"users_file" is required`},
		{"nil settings", nil, `"users_file" is required`},
		{"blank value", map[string]string{"users_file": "  "}, `"users_file" is required`},
		{"corrupt file", map[string]string{"users_file": corrupt}, "corrupt"},
		{"typo", map[string]string{"user_file": "x"}, `unknown setting "user_file" (did you mean "users_file"?)`},
		{"negative max_concurrent_hashes", map[string]string{"users_file": filepath.Join(dir, "users.json"), "max_concurrent_hashes": "-1"}, "must be ≥ 0"},
		{"non-numeric max_concurrent_hashes", map[string]string{"users_file": filepath.Join(dir, "users.json"), "max_concurrent_hashes": "two"}, "max_concurrent_hashes"},
		{"max_concurrent_hashes", map[string]string{"users_file": filepath.Join(dir, "users.json"), "max_concurrent_hashes": "1"}, ""},
		{"missing file is fine", map[string]string{"users_file": filepath.Join(dir, "users.json")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New().Configure(t.Context(), tt.settings)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Configure = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Configure = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

// providerCases run against the Provider directly and through gRPC.
func testProviderCases(t *testing.T, ap sdk.AuthProvider) {
	info, err := ap.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.GetName() != "local" || !info.GetSupportsPassword() || info.GetSupportsRefresh() {
		t.Fatalf("Info = %v", info)
	}

	t.Run("right password", func(t *testing.T) {
		resp, err := ap.Authenticate(t.Context(), "Ada@Example.org", "analytical-engine")
		if err != nil {
			t.Fatal(err)
		}
		u := resp.GetUser()
		if u.GetSubject() != "ada@example.org" || u.GetEmail() != "ada@example.org" || u.GetName() != "Ada Lovelace" {
			t.Fatalf("user = %v", u)
		}
		if resp.GetAccessToken() != "" || resp.GetRefreshToken() != "" || resp.GetIdToken() != "" || resp.GetExpiresIn() != 0 {
			t.Fatalf("local auth must issue no tokens: %v", resp)
		}
	})
	for _, c := range []struct{ name, user, password string }{
		{"wrong password", "ada@example.org", "wrong-password"},
		{"unknown user", "eve@example.org", "analytical-engine"},
		{"disabled user", "carol@example.org", "carol-pass"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := ap.Authenticate(t.Context(), c.user, c.password)
			if !errors.Is(err, sdk.ErrInvalidCredentials) {
				t.Fatalf("Authenticate = %v, %v; want ErrInvalidCredentials", resp, err)
			}
			if strings.Contains(err.Error(), c.password) {
				t.Fatalf("error %q contains the password", err)
			}
		})
	}
	t.Run("token methods not implemented", func(t *testing.T) {
		if _, err := ap.ValidateToken(t.Context(), "tok"); !errors.Is(err, sdk.ErrNotImplemented) {
			t.Errorf("ValidateToken = %v", err)
		}
		if _, err := ap.RefreshToken(t.Context(), "tok"); !errors.Is(err, sdk.ErrNotImplemented) {
			t.Errorf("RefreshToken = %v", err)
		}
		if _, err := ap.GetUserInfo(t.Context(), "tok"); !errors.Is(err, sdk.ErrNotImplemented) {
			t.Errorf("GetUserInfo = %v", err)
		}
	})
}

func TestProviderDirect(t *testing.T) {
	p, path := newTestProvider(t)
	if _, err := p.Authenticate(t.Context(), "ada@example.org", "analytical-engine"); err == nil || errors.Is(err, sdk.ErrInvalidCredentials) {
		t.Fatalf("Authenticate before Configure = %v, want a not-configured error", err)
	}
	if err := p.Configure(t.Context(), map[string]string{SettingUsersFile: path}); err != nil {
		t.Fatal(err)
	}
	testProviderCases(t, p)
}

// The provider behind go-plugin's real gRPC server and the SDK's adapters:
// what the host sees.
func TestProviderOverGRPC(t *testing.T) {
	p, path := newTestProvider(t)
	ap := sdktest.DispenseAuth(t, p)

	err := ap.Configure(t.Context(), map[string]string{})
	if err == nil || !strings.Contains(err.Error(), SettingUsersFile) {
		t.Fatalf("Configure without users_file over gRPC = %v", err)
	}
	if err := ap.Configure(t.Context(), map[string]string{SettingUsersFile: path}); err != nil {
		t.Fatal(err)
	}
	testProviderCases(t, ap)
}
