package integration

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsersListIdentities: `ocrbox users list` shows the identities bound
// to each account — an administrator's `users link` included — both through
// the running server's admin socket and, with the server stopped, from the
// database directly; a local account that never signed in is listed too,
// without identities.
func TestUsersListIdentities(t *testing.T) {
	needDeps(t)
	dataDir := filepath.Join(workDir, "users-list")
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: dataDir})
	ada, bob := "ada-"+randomHex(4)+"@example.org", "bob-"+randomHex(4)+"@example.org"
	addUser(t, binPath, dataDir, ada, "Ada", "ada-password-1")
	addUser(t, binPath, dataDir, bob, "Bob", "bob-password-1")
	adaID := newClient(s).login(t, ada, "ada-password-1").me(t).ID // binds her local identity
	subject := "CgNhZGE-" + randomHex(6)

	run := func(args ...string) cliResult {
		t.Helper()
		res, err := runCLI(binPath, dataDir, "", args...)
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 0 {
			t.Fatalf("ocrbox %s: exit %d\n%s%s", strings.Join(args, " "), res.ExitCode, res.Stdout, res.Stderr)
		}
		return res
	}
	if res := run("users", "link", ada, "--provider", "oidc", "--subject", subject); !strings.Contains(res.Stdout, "through the running server") {
		t.Fatalf("users link: %q", res.Stdout)
	}

	check := func(t *testing.T) {
		t.Helper()
		table := run("users", "list").Stdout
		line := func(email string) string {
			for _, l := range strings.Split(table, "\n") {
				if strings.HasPrefix(l, email+" ") {
					return l
				}
			}
			t.Fatalf("users list has no line for %s:\n%s", email, table)
			return ""
		}
		if l := line(ada); !strings.Contains(l, "oidc:"+subject) || !strings.Contains(l, "local:") {
			t.Errorf("ada's line %q lacks her identities (local and oidc:%s)", l, subject)
		}
		if l := line(bob); !strings.HasSuffix(strings.TrimSpace(l), " -") || strings.Contains(l, "oidc:") {
			t.Errorf("bob never signed in, his line %q should show no identities", l)
		}

		var rows []struct {
			ID         string `json:"id"`
			Email      string `json:"email"`
			Local      bool   `json:"local_account"`
			Identities []struct {
				Provider string `json:"provider"`
				Subject  string `json:"subject"`
			} `json:"identities"`
		}
		out := run("users", "list", "--json").Stdout
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("users list --json: %v\n%s", err, out)
		}
		got := map[string][]string{}
		for _, r := range rows {
			var ids []string
			for _, id := range r.Identities {
				ids = append(ids, id.Provider+":"+id.Subject)
			}
			got[r.Email] = ids
			if r.Email == ada && (r.ID != adaID || !r.Local) {
				t.Errorf("ada's entry: id %s (want %s), local_account %v", r.ID, adaID, r.Local)
			}
		}
		if ids := got[ada]; len(ids) != 2 || ids[1] != "oidc:"+subject || !strings.HasPrefix(ids[0], "local:") {
			t.Errorf("ada's identities %v, want local:… and oidc:%s", ids, subject)
		}
		if ids, ok := got[bob]; !ok || len(ids) != 0 {
			t.Errorf("bob's identities %v (listed: %v), want none", ids, ok)
		}
	}
	t.Run("through the running server", check)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	t.Run("from the database, server stopped", check)
}
