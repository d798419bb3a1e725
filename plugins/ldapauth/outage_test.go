package ldapauth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/test/ldapserver"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// The directory goes down and comes back: calls fail fast as unavailable
// (never as "wrong password" or "user gone", which would lock people out or
// end their sessions) and work again after the restart.
func TestDirectoryOutage(t *testing.T) {
	srv := ldapserver.Start(t, ldapserver.Options{Users: []ldapserver.User{ada}})
	const timeout = 2 * time.Second
	settings := settingsFor(srv, SettingTimeout, timeout.String())
	providers := map[string]sdk.AuthProvider{"direct": direct(t, settings), "grpc": overGRPC(t, settings)}

	check := func(t *testing.T, wantUp bool) {
		t.Helper()
		for via, ap := range providers {
			start := time.Now()
			_, authErr := ap.Authenticate(t.Context(), "ada", ada.Password)
			_, lookErr := ap.LookupUser(t.Context(), "ada@example.org")
			elapsed := time.Since(start)
			if wantUp {
				if authErr != nil || lookErr != nil {
					t.Fatalf("%s: directory up: Authenticate = %v, LookupUser = %v", via, authErr, lookErr)
				}
				continue
			}
			if !errors.Is(authErr, sdk.ErrUnavailable) || !errors.Is(lookErr, sdk.ErrUnavailable) {
				t.Fatalf("%s: directory down: Authenticate = %v, LookupUser = %v; want ErrUnavailable", via, authErr, lookErr)
			}
			if elapsed > timeout {
				t.Fatalf("%s: two calls took %s, more than the %s timeout", via, elapsed, timeout)
			}
		}
	}
	check(t, true)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	check(t, false)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	check(t, true)
}

// A directory that accepts connections and then says nothing is cut off by
// the timeout setting, or earlier by the caller's deadline, whatever the
// call is waiting for.
func TestHungDirectory(t *testing.T) {
	addr := testenv.HungListener(t)
	tests := []struct {
		name string
		kv   []string
	}{
		{"search, anonymous", []string{SettingURL, "ldap://" + addr, SettingBindDN, "", SettingBindPassword, ""}},
		{"service bind", []string{SettingURL, "ldap://" + addr}},
		{"ldaps handshake", []string{SettingURL, "ldaps://" + addr}},
		{"StartTLS", []string{SettingURL, "ldap://" + addr, SettingStartTLS, "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := map[string]string{SettingBindDN: ldapserver.ServiceDN, SettingBindPassword: "x", SettingBaseDN: ldapserver.PeopleDN}
			p := direct(t, with(base, append(tt.kv, SettingTimeout, "300ms")...))

			start := time.Now()
			_, err := p.Authenticate(t.Context(), "ada", "pw")
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Fatalf("Authenticate took %s with a 300ms timeout", elapsed)
			}
			if !errors.Is(err, sdk.ErrUnavailable) {
				t.Fatalf("Authenticate = %v; want ErrUnavailable", err)
			}
			start = time.Now()
			_, err = p.LookupUser(t.Context(), "ada@example.org")
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Fatalf("LookupUser took %s with a 300ms timeout", elapsed)
			}
			if !errors.Is(err, sdk.ErrUnavailable) {
				t.Fatalf("LookupUser = %v; want ErrUnavailable", err)
			}

			// The caller's deadline wins over a longer timeout setting.
			p = direct(t, with(base, append(tt.kv, SettingTimeout, "1m")...))
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			start = time.Now()
			_, err = p.Authenticate(ctx, "ada", "pw")
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Fatalf("Authenticate took %s with a 200ms deadline", elapsed)
			}
			if !errors.Is(err, sdk.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Authenticate = %v; want ErrUnavailable and DeadlineExceeded", err)
			}
		})
	}
}
