package integration

import (
	"net/http"
	"strings"
	"testing"
)

// TestPluginRefusesWithoutHandshake runs the hidden `ocrbox plugin NAME`
// mode by hand: without the host's handshake cookie go-plugin must refuse
// and say the binary is not meant to be run directly.
func TestPluginRefusesWithoutHandshake(t *testing.T) {
	needDeps(t)
	for _, name := range []string{"tesseract", "local"} {
		t.Run(name, func(t *testing.T) {
			res, err := runCLI(binPath, t.TempDir(), "", "plugin", name)
			if err != nil {
				t.Fatal(err)
			}
			out := res.Stdout + res.Stderr
			if res.ExitCode == 0 {
				t.Errorf("ocrbox plugin %s exited 0, want non-zero; output %q", name, out)
			}
			if !strings.Contains(out, "not meant to be executed directly") {
				t.Errorf("ocrbox plugin %s did not say it is not meant to be run directly: %q", name, out)
			}
		})
	}
	t.Run("unknown plugin", func(t *testing.T) {
		res, err := runCLI(binPath, t.TempDir(), "", "plugin", "no-such-plugin")
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode == 0 || !strings.Contains(res.Stderr, "no-such-plugin") {
			t.Errorf("ocrbox plugin no-such-plugin: exit %d, stderr %q; want non-zero naming the plugin", res.ExitCode, res.Stderr)
		}
	})
}

// TestUsersCLI manages a local account with `ocrbox users` while the
// server runs, and checks each change through the sign-in endpoint.
func TestUsersCLI(t *testing.T) {
	s := sharedServer(t)
	dataDir := s.cfg.DataDir
	anon := newClient(s)
	email := "carol-" + randomHex(4) + "@example.org"
	oldPW, newPW := "first-password-1", "second-password-2"

	run := func(stdin string, args ...string) cliResult {
		t.Helper()
		res, err := runCLI(binPath, dataDir, stdin, args...)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	loginStatus := func(pw string) (int, string) {
		t.Helper()
		r := anon.tryLogin(t, email, pw)
		if r.Status == http.StatusOK {
			return r.Status, ""
		}
		return r.Status, r.apiError(t).Error.Code
	}

	if res := run(oldPW+"\n", "users", "add", email, "--name", "Carol", "--password-stdin"); res.ExitCode != 0 {
		t.Fatalf("users add: exit %d: %s%s", res.ExitCode, res.Stdout, res.Stderr)
	}
	res := run("", "users", "list")
	if res.ExitCode != 0 || !strings.Contains(res.Stdout, email) || !strings.Contains(res.Stdout, "Carol") {
		t.Errorf("users list: exit %d, output %q; want it to show %s (Carol)", res.ExitCode, res.Stdout, email)
	}
	if st, code := loginStatus(oldPW); st != http.StatusOK {
		t.Fatalf("login with the new account: %d %s", st, code)
	}
	if me := anon.login(t, email, oldPW).me(t); me.Name != "Carol" {
		t.Errorf("/auth/me name %q, want Carol", me.Name)
	}

	if res := run(oldPW+"\n", "users", "add", email, "--password-stdin"); res.ExitCode == 0 {
		t.Errorf("adding %s twice succeeded", email)
	}

	if res := run(newPW+"\n", "users", "passwd", email, "--password-stdin"); res.ExitCode != 0 {
		t.Fatalf("users passwd: exit %d: %s%s", res.ExitCode, res.Stdout, res.Stderr)
	}
	if st, code := loginStatus(oldPW); st != http.StatusUnauthorized || code != "invalid_credentials" {
		t.Errorf("login with the old password after passwd: %d %s, want 401 invalid_credentials", st, code)
	}
	if st, code := loginStatus(newPW); st != http.StatusOK {
		t.Errorf("login with the new password after passwd: %d %s, want 200", st, code)
	}

	// A session opened before the account is deleted.
	var held struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	r := anon.tryLogin(t, email, newPW)
	if r.Status != http.StatusOK {
		t.Fatalf("login before delete: %d %s", r.Status, r.Body)
	}
	r.JSON(t, &held)

	if res := run("", "users", "delete", email); res.ExitCode != 0 {
		t.Fatalf("users delete: exit %d: %s%s", res.ExitCode, res.Stdout, res.Stderr)
	}
	if st, code := loginStatus(newPW); st != http.StatusUnauthorized {
		t.Errorf("login after delete: %d %s, want 401", st, code)
	}

	// DESIGN.md §8: deleting a user deletes their sessions. Neither the
	// access token nor the refresh token of a deleted account may keep
	// working.
	t.Run("deleted account loses its sessions", func(t *testing.T) {
		if r := anon.withToken(held.AccessToken).get(t, "/auth/me"); r.Status != http.StatusUnauthorized {
			t.Errorf("GET /auth/me with a session of the deleted account: status %d, want 401", r.Status)
		}
		r := anon.postJSON(t, "/auth/refresh", map[string]string{"refresh_token": held.RefreshToken})
		if r.Status != http.StatusUnauthorized {
			t.Errorf("POST /auth/refresh with the deleted account's refresh token: status %d, want 401: %s",
				r.Status, truncate(string(r.Body), 200))
		}
	})
	if res := run("", "users", "list"); strings.Contains(res.Stdout, email) {
		t.Errorf("users list still shows %s after delete: %q", email, res.Stdout)
	}

	short := "dave-" + randomHex(4) + "@example.org"
	res = run("short\n", "users", "add", short, "--password-stdin")
	if res.ExitCode == 0 {
		t.Errorf("users add with a 5-character password succeeded: %q", res.Stdout)
	}
	if !strings.Contains(res.Stderr, "password") || !strings.Contains(res.Stderr, "at least") {
		t.Errorf("users add with a short password: stderr %q does not explain the rule", res.Stderr)
	}
	if res := run("", "users", "list"); strings.Contains(res.Stdout, short) {
		t.Errorf("the refused account %s was created anyway", short)
	}
}
