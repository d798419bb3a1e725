package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/admin"
	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/localauth"
)

// TestUsersListRows: `ocrbox users list` joins the users file and the
// database by email and prints each account's identities; what an IdP
// asserted cannot break the table.
func TestUsersListRows(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return time.Date(2025, 1, d, 12, 0, 0, 0, time.UTC) }
	ada := admin.UserEntry{User: domain.User{ID: "u-ada", Email: "Ada@example.org", Name: "Ada L.", Provider: "oidc", CreatedAt: day(5), LastLogin: day(9)},
		Identities: []domain.Identity{{Provider: "local", Subject: "ada@example.org"}, {Provider: "oidc", Subject: "CgNhZGE"}}}
	grace := admin.UserEntry{User: domain.User{ID: "u-grace", Email: "grace@example.org", Name: "Grace", Provider: "ldap", CreatedAt: day(3)},
		Identities: []domain.Identity{{Provider: "ldap", Subject: "uid=grace,ou=people"}}}
	evil := admin.UserEntry{User: domain.User{ID: "u-evil", Email: "evil@example.org", Name: "Evil\tName\x1b[2J", Provider: "oidc"},
		Identities: []domain.Identity{{Provider: "oidc", Subject: "line\nbreak"}, {Provider: "oidc", Subject: strings.Repeat("s", 100)}}}
	fileAda := localauth.UserEntry{Email: "ada@example.org", Name: "Ada", CreatedAt: day(1)}
	fileBob := localauth.UserEntry{Email: "bob@example.org", Name: "Bob", CreatedAt: day(2), Disabled: true}

	tests := []struct {
		name   string
		local  []localauth.UserEntry
		db     []admin.UserEntry
		haveDB bool
		// want: one table line per account, each holding these fields.
		want [][]string
		// notWant must appear nowhere in the table.
		notWant []string
	}{
		{"nobody", nil, nil, true, nil, nil},
		{"a local account that never signed in", []localauth.UserEntry{fileBob}, nil, true,
			[][]string{{"bob@example.org", "Bob", "local", "true", "2025-01-02", "never", " -"}}, nil},
		{"file and database joined by email, linked identities listed", []localauth.UserEntry{fileAda, fileBob}, []admin.UserEntry{grace, ada}, true,
			[][]string{
				{"Ada@example.org", "Ada L.", "oidc", "false", "2025-01-01", "2025-01-09", "local:ada@example.org, oidc:CgNhZGE"},
				{"bob@example.org", "Bob", "local", "true", "never", " -"},
				{"grace@example.org", "Grace", "ldap", " - ", "2025-01-03", "never", "ldap:uid=grace,ou=people"},
			}, nil},
		{"database unreadable: identities unknown", []localauth.UserEntry{fileBob}, nil, false,
			[][]string{{"bob@example.org", "?"}}, nil},
		{"unprintable names and subjects are escaped, long ones clipped", nil, []admin.UserEntry{evil}, true,
			[][]string{{`"Evil\tName\x1b[2J"`, `"oidc:line\nbreak"`, "oidc:" + strings.Repeat("s", 64) + "…"}},
			[]string{"\x1b", strings.Repeat("s", 65)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows := mergeUsers(tt.local, tt.db, tt.haveDB)
			var buf bytes.Buffer
			if err := writeUsersTable(&buf, rows); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
			if !strings.HasPrefix(lines[0], "EMAIL") || !strings.HasSuffix(lines[0], "IDENTITIES") {
				t.Errorf("header %q", lines[0])
			}
			if len(lines)-1 != len(tt.want) {
				t.Fatalf("%d accounts, want %d:\n%s", len(lines)-1, len(tt.want), buf.String())
			}
			for i, fields := range tt.want {
				for _, f := range fields {
					if !strings.Contains(lines[i+1], f) {
						t.Errorf("line %d %q lacks %q", i+1, lines[i+1], f)
					}
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(buf.String(), s) {
					t.Errorf("table holds %q:\n%s", s, buf.String())
				}
			}
		})
	}

	t.Run("json: every identity whole, [] for none, null when unknown", func(t *testing.T) {
		t.Parallel()
		var got []map[string]any
		raw, _ := json.Marshal(mergeUsers([]localauth.UserEntry{fileBob}, []admin.UserEntry{evil}, true))
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0]["email"] != "bob@example.org" || got[0]["local_account"] != true {
			t.Fatalf("rows %v", got)
		}
		if ids, ok := got[0]["identities"].([]any); !ok || len(ids) != 0 {
			t.Errorf("bob's identities %v, want []", got[0]["identities"])
		}
		if ids := got[1]["identities"].([]any); len(ids) != 2 || ids[1].(map[string]any)["subject"] != strings.Repeat("s", 100) {
			t.Errorf("evil's identities %v, want both, unclipped", ids)
		}
		if _, ok := got[0]["last_login"]; ok {
			t.Errorf("a never-used account has a last_login: %v", got[0])
		}
		raw, _ = json.Marshal(mergeUsers([]localauth.UserEntry{fileBob}, nil, false))
		if !strings.Contains(string(raw), `"identities":null`) {
			t.Errorf("unknown identities: %s, want null", raw)
		}
	})
}
