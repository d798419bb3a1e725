package ldapauth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

func TestTLS(t *testing.T) {
	both(t, func(t *testing.T, newProvider factory) {
		srv := sharedServer(t)
		localhostLDAPS := strings.Replace(srv.LDAPSURL, "127.0.0.1", "localhost", 1)
		ok := []struct {
			name     string
			settings map[string]string
		}{
			{"ldaps with ca_file", settingsFor(srv, SettingURL, srv.LDAPSURL, SettingCAFile, srv.CAFile)},
			{"ldaps by host name", settingsFor(srv, SettingURL, localhostLDAPS, SettingCAFile, srv.CAFile)},
			{"StartTLS with ca_file", settingsFor(srv, SettingStartTLS, "true", SettingCAFile, srv.CAFile)},
			{"ldaps, verification off", settingsFor(srv, SettingURL, srv.LDAPSURL, SettingInsecureSkipVerify, "true")},
		}
		for _, tt := range ok {
			t.Run(tt.name, func(t *testing.T) {
				ap := newProvider(t, tt.settings)
				resp, err := ap.Authenticate(t.Context(), "ada", ada.Password)
				if err != nil {
					t.Fatal(err)
				}
				assertUser(t, resp.GetUser(), adaInfo())
				if _, err := ap.Authenticate(t.Context(), "ada", "wrong"); !errors.Is(err, sdk.ErrInvalidCredentials) {
					t.Fatalf("wrong password over TLS = %v", err)
				}
			})
		}

		// The system roots do not know the test CA: the server cannot be
		// trusted, so nothing (no password) is sent.
		failing := []struct {
			name     string
			settings map[string]string
			want     string
		}{
			{"ldaps without ca_file", settingsFor(srv, SettingURL, srv.LDAPSURL), "unknown authority"},
			{"StartTLS without ca_file", settingsFor(srv, SettingStartTLS, "true"), "unknown authority"},
			{"ldaps to plain port", settingsFor(srv, SettingURL, strings.Replace(srv.URL, "ldap://", "ldaps://", 1), SettingCAFile, srv.CAFile), "tls"},
		}
		for _, tt := range failing {
			t.Run(tt.name, func(t *testing.T) {
				ap := newProvider(t, tt.settings)
				_, err := ap.Authenticate(t.Context(), "ada", ada.Password)
				if !errors.Is(err, sdk.ErrUnavailable) || !strings.Contains(err.Error(), tt.want) || errors.Is(err, context.Canceled) {
					t.Fatalf("Authenticate = %v; want ErrUnavailable mentioning %q", err, tt.want)
				}
			})
		}
	})
}
