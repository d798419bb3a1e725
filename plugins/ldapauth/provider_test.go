package ldapauth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/test/ldapserver"
)

func TestInfo(t *testing.T) {
	both(t, func(t *testing.T, newProvider factory) {
		srv := sharedServer(t)
		for _, c := range []struct{ displayName, want string }{
			{"", DefaultDisplayName},
			{"Example Corp account", "Example Corp account"},
		} {
			ap := newProvider(t, settingsFor(srv, SettingDisplayName, c.displayName))
			info, err := ap.Info(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if info.GetName() != "ldap" || !info.GetSupportsPassword() || info.GetSupportsRefresh() ||
				info.GetSupportsBrowserLogin() || info.GetDisplayName() != c.want {
				t.Fatalf("Info = %v", info)
			}
		}
	})
}

func TestAuthenticateSuccess(t *testing.T) {
	both(t, func(t *testing.T, newProvider factory) {
		srv := sharedServer(t)
		ap := newProvider(t, settingsFor(srv))
		tests := []struct {
			name, username, password string
			want                     *sdk.UserInfo
		}{
			{"by uid", "ada", ada.Password, adaInfo()},
			{"by mail, any case, spaces", "  ada@EXAMPLE.org ", ada.Password, adaInfo()},
			{"name falls back to cn", "grace", grace.Password, &sdk.UserInfo{
				Subject: "grace@example.org", Email: "grace@example.org", Name: "Grace Hopper",
				Extra: map[string]string{"dn": grace.DN()}}},
			{"non-ASCII uid and password", "zoë", zoe.Password, &sdk.UserInfo{
				Subject: "zoe@example.org", Email: "zoe@example.org", Name: "Zoë Ünïcode",
				Extra: map[string]string{"dn": zoe.DN()}}},
			{"filter characters match literally", "star*user", star.Password, &sdk.UserInfo{
				Subject: "star@example.org", Email: "star@example.org", Name: "star*user",
				Extra: map[string]string{"dn": star.DN()}}},
			{"shared mail, unique uid", "twin1", twin1.Password, &sdk.UserInfo{
				Subject: "twin@example.org", Email: "twin@example.org", Name: "twin1",
				Extra: map[string]string{"dn": twin1.DN()}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, err := ap.Authenticate(t.Context(), tt.username, tt.password)
				if err != nil {
					t.Fatal(err)
				}
				assertUser(t, resp.GetUser(), tt.want)
				if resp.GetAccessToken() != "" || resp.GetRefreshToken() != "" || resp.GetIdToken() != "" || resp.GetExpiresIn() != 0 {
					t.Fatalf("ldap auth must issue no tokens: %v", resp)
				}
			})
		}
		t.Run("custom attributes", func(t *testing.T) {
			ap := newProvider(t, settingsFor(srv, SettingNameAttribute, "cn", SettingEmailAttribute, "mail",
				SettingExtraAttributes, "title,uid"))
			resp, err := ap.Authenticate(t.Context(), "ada", ada.Password)
			if err != nil {
				t.Fatal(err)
			}
			assertUser(t, resp.GetUser(), &sdk.UserInfo{Subject: "ada@example.org", Email: "ada@example.org",
				Name: "Ada Lovelace", Extra: map[string]string{"dn": ada.DN(), "title": "Mathematician", "uid": "ada"}})
		})
	})
}

func adaInfo() *sdk.UserInfo {
	return &sdk.UserInfo{Subject: "ada@example.org", Email: "ada@example.org", Name: "Countess of Lovelace",
		Extra: map[string]string{"dn": ada.DN(), "title": "Mathematician", "departmentNumber": "R&D; Engines"}}
}

func assertUser(t *testing.T, got, want *sdk.UserInfo) {
	t.Helper()
	if got.GetSubject() != want.GetSubject() || got.GetEmail() != want.GetEmail() || got.GetName() != want.GetName() {
		t.Fatalf("user = %v, want %v", got, want)
	}
	if len(got.GetExtra()) != len(want.GetExtra()) {
		t.Fatalf("extra = %v, want %v", got.GetExtra(), want.GetExtra())
	}
	for k, v := range want.GetExtra() {
		if got.GetExtra()[k] != v {
			t.Fatalf("extra[%q] = %q, want %q (extra = %v)", k, got.GetExtra()[k], v, got.GetExtra())
		}
	}
}

// The error table: what each failure means to the host.
func TestAuthenticateErrors(t *testing.T) {
	both(t, func(t *testing.T, newProvider factory) {
		srv := sharedServer(t)
		ap := newProvider(t, settingsFor(srv))
		// reason is the log-safe part of the message (it survives gRPC).
		tests := []struct {
			name, username, password, reason string
		}{
			{"wrong password", "ada", "wrong password", "password rejected"},
			{"wrong password by mail", "ada@example.org", "analytical engine!", "password rejected"},
			{"unknown user", "eve", ada.Password, "no entry matches"},
			{"empty password", "ada", "", "empty password"},
			{"empty username", "  ", ada.Password, "empty username"},
			{"oversized username", strings.Repeat("a", 300), ada.Password, "longer than"},
			{"injection matching all", "*)(uid=*", ada.Password, "no entry matches"},
			{"injection closing the filter", "ada)(|(uid=*", ada.Password, "no entry matches"},
			{"wildcard for one user", "ad*", ada.Password, "no entry matches"},
			{"bare wildcard", "*", ada.Password, "no entry matches"},
			{"NUL byte", "ada\x00", ada.Password, "no entry matches"},
			{"entry without mail", "nomail", nomail.Password, "no mail attribute"},
			{"entry without password", "nopass", "anything", "password rejected"},
			{"mail matching two entries", "twin@example.org", twin1.Password, "more than one entry"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, err := ap.Authenticate(t.Context(), tt.username, tt.password)
				if !errors.Is(err, sdk.ErrInvalidCredentials) || !strings.Contains(err.Error(), tt.reason) {
					t.Fatalf("Authenticate = %v, %v; want ErrInvalidCredentials saying %q", resp, err, tt.reason)
				}
				if tt.password != "" && strings.Contains(err.Error(), tt.password) {
					t.Fatalf("error %q contains the password", err)
				}
			})
		}

		// The directory refuses ocrbox's service account: misconfiguration
		// (auth_misconfigured), neither a wrong password nor an outage.
		for _, tt := range []struct {
			name     string
			settings map[string]string
		}{
			{"wrong service password", settingsFor(srv, SettingBindPassword, "not-the-service-password")},
			{"unknown service account", settingsFor(srv, SettingBindDN, "cn=nobody,"+ldapserver.BaseDN)},
		} {
			t.Run(tt.name, func(t *testing.T) {
				ap := newProvider(t, tt.settings)
				_, err := ap.Authenticate(t.Context(), "ada", ada.Password)
				if !errors.Is(err, sdk.ErrMisconfigured) || errors.Is(err, sdk.ErrUnavailable) || errors.Is(err, sdk.ErrInvalidCredentials) {
					t.Fatalf("Authenticate = %v; want ErrMisconfigured only", err)
				}
				if strings.Contains(err.Error(), ada.Password) || strings.Contains(err.Error(), srv.ServicePassword) || strings.Contains(err.Error(), "not-the-service-password") {
					t.Fatalf("error %q contains a password", err)
				}
			})
		}

		unavailable := []struct {
			name     string
			settings map[string]string
		}{
			// slapd answers "no such object" for a base anonymous may not
			// see: misconfiguration, not a user's fault.
			{"anonymous search refused", settingsFor(srv, SettingBindDN, "", SettingBindPassword, "")},
			{"base DN does not exist", settingsFor(srv, SettingBaseDN, "ou=nowhere,"+ldapserver.BaseDN)},
		}
		for _, tt := range unavailable {
			t.Run(tt.name, func(t *testing.T) {
				ap := newProvider(t, tt.settings)
				_, err := ap.Authenticate(t.Context(), "ada", ada.Password)
				if !errors.Is(err, sdk.ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Authenticate = %v; want ErrUnavailable, not a context error", err)
				}
				if strings.Contains(err.Error(), ada.Password) || strings.Contains(err.Error(), srv.ServicePassword) {
					t.Fatalf("error %q contains a password", err)
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
			if err := ap.RevokeToken(t.Context(), "tok", ""); !errors.Is(err, sdk.ErrNotImplemented) {
				t.Errorf("RevokeToken = %v", err)
			}
		})
	})
}

// An empty password is refused before the provider even connects: an
// LDAP bind with a DN and no password is an "unauthenticated bind" that
// many servers (Active Directory among them) accept without any check.
func TestEmptyPasswordNeverReachesTheDirectory(t *testing.T) {
	p := New()
	// Nothing listens on port 1; a connection attempt would be ErrUnavailable.
	err := p.Configure(t.Context(), map[string]string{SettingURL: "ldap://127.0.0.1:1", SettingBaseDN: ldapserver.PeopleDN})
	if err != nil {
		t.Fatal(err)
	}
	for _, username := range []string{"ada", ""} {
		if _, err := p.Authenticate(t.Context(), username, ""); !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("Authenticate(%q, \"\") = %v; want ErrInvalidCredentials without connecting", username, err)
		}
	}
	if _, err := p.Authenticate(t.Context(), "ada", "x"); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("with a password it connects: Authenticate = %v; want ErrUnavailable", err)
	}
	cn := &conn{}
	if err := cn.bindUser(ada.DN(), ""); !errors.Is(err, sdk.ErrInvalidCredentials) {
		t.Fatalf("bindUser with empty password = %v", err)
	}
}

func TestNotConfigured(t *testing.T) {
	p := New()
	if _, err := p.Authenticate(t.Context(), "ada", "x"); err == nil || errors.Is(err, sdk.ErrInvalidCredentials) {
		t.Fatalf("Authenticate before Configure = %v, want a not-configured error", err)
	}
	if _, err := p.LookupUser(t.Context(), "ada@example.org"); err == nil || errors.Is(err, sdk.ErrUserNotFound) {
		t.Fatalf("LookupUser before Configure = %v, want a not-configured error", err)
	}
}

func TestLookupUser(t *testing.T) {
	both(t, func(t *testing.T, newProvider factory) {
		srv := sharedServer(t)
		ap := newProvider(t, settingsFor(srv))
		t.Run("found", func(t *testing.T) {
			for _, subject := range []string{"ada@example.org", " ADA@example.org"} {
				u, err := ap.LookupUser(t.Context(), subject)
				if err != nil {
					t.Fatal(err)
				}
				assertUser(t, u, adaInfo())
			}
		})
		for _, tt := range []struct{ name, subject string }{
			{"unknown", "eve@example.org"},
			{"empty", ""},
			{"a uid is not an email", "ada"},
			{"wildcard", "*@example.org"},
			{"two entries share the email", "twin@example.org"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				u, err := ap.LookupUser(t.Context(), tt.subject)
				if !errors.Is(err, sdk.ErrUserNotFound) {
					t.Fatalf("LookupUser(%q) = %v, %v; want ErrUserNotFound", tt.subject, u, err)
				}
			})
		}
		t.Run("wrong service password is not 'not found'", func(t *testing.T) {
			ap := newProvider(t, settingsFor(srv, SettingBindPassword, "wrong"))
			if _, err := ap.LookupUser(t.Context(), "ada@example.org"); !errors.Is(err, sdk.ErrMisconfigured) || errors.Is(err, sdk.ErrUserNotFound) {
				t.Fatalf("LookupUser = %v; want ErrMisconfigured (sessions must survive)", err)
			}
		})
	})
}

// A user removed from the directory loses ocrbox: LookupUser reports it
// and sign-in fails.
func TestDeletedUser(t *testing.T) {
	both(t, func(t *testing.T, newProvider factory) {
		srv := sharedServer(t)
		ap := newProvider(t, settingsFor(srv))
		temp := ldapserver.User{UID: "temp-" + strings.ReplaceAll(t.Name(), "/", "-"), Password: "temp-pass"}
		temp.Mail = temp.UID + "@example.org"
		if err := srv.AddUser(temp); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.DeleteUser(temp.UID) })
		if _, err := ap.Authenticate(t.Context(), temp.UID, temp.Password); err != nil {
			t.Fatal(err)
		}
		if _, err := ap.LookupUser(t.Context(), temp.Mail); err != nil {
			t.Fatal(err)
		}
		if err := srv.DeleteUser(temp.UID); err != nil {
			t.Fatal(err)
		}
		if _, err := ap.LookupUser(t.Context(), temp.Mail); !errors.Is(err, sdk.ErrUserNotFound) {
			t.Fatalf("LookupUser after delete = %v; want ErrUserNotFound", err)
		}
		if _, err := ap.Authenticate(t.Context(), temp.UID, temp.Password); !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("Authenticate after delete = %v; want ErrInvalidCredentials", err)
		}
	})
}

// Concurrent logins share one Provider; run with -race.
func TestConcurrentLogins(t *testing.T) {
	srv := sharedServer(t)
	p := direct(t, settingsFor(srv))
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Go(func() {
			user, password := ada, ada.Password
			if i%2 == 1 {
				user, password = grace, "wrong"
			}
			_, err := p.Authenticate(t.Context(), user.UID, password)
			if i%2 == 1 && !errors.Is(err, sdk.ErrInvalidCredentials) || i%2 == 0 && err != nil {
				errs <- err
			}
			// Reconfiguring mid-flight must not disturb running calls.
			if err := p.Configure(t.Context(), settingsFor(srv)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
