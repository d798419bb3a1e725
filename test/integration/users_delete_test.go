package integration

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUsersDeleteWhileServing runs `ocrbox users delete alice@example.org`
// against a running server (which holds the database lock, so the purge
// goes through its admin socket) and checks that alice's tasks, files and
// sessions are gone while bob's are untouched. Then, with the server
// killed (its socket left behind, stale), bob is deleted by opening the
// database directly, and a restart over the stale socket works.
func TestUsersDeleteWhileServing(t *testing.T) {
	needDeps(t)
	dataDir := filepath.Join(workDir, "users-delete")
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: dataDir})
	sock := filepath.Join(dataDir, "admin.sock")
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket: %v, %v; want mode 0600", fi, err)
	}

	const aliceEmail, bobEmail = "alice@example.org", "bob@example.org"
	addUser(t, binPath, dataDir, aliceEmail, "Alice", "alice-password-1")
	addUser(t, binPath, dataDir, bobEmail, "Bob", "bob-password-1")
	alice := newClient(s).login(t, aliceEmail, "alice-password-1")
	aliceSecond := newClient(s).login(t, aliceEmail, "alice-password-1") // a second session
	bob := newClient(s).login(t, bobEmail, "bob-password-1")
	aliceID, bobID := alice.me(t).ID, bob.me(t).ID

	page := corpusUpload(t, "pages/phototest.tif")
	aliceDone := alice.upload(t, [][2]string{{"outputs", "txt"}}, page)[0]
	bobTasks := bob.upload(t, [][2]string{{"outputs", "txt"}}, page, page)
	alice.waitStatus(t, aliceDone.ID, "completed", 2*time.Minute)
	for _, tk := range bobTasks {
		bob.waitStatus(t, tk.ID, "completed", 2*time.Minute)
	}
	// One of alice's tasks is still queued or running at the delete.
	aliceBusy := alice.upload(t, [][2]string{{"outputs", "txt"}}, corpusUpload(t, "multipage/four-pages.tif"))[0]
	if _, err := os.Stat(taskDir(dataDir, aliceID, aliceBusy.ID)); err != nil {
		t.Fatalf("alice's task directory before delete: %v", err)
	}

	res, err := runCLI(binPath, dataDir, "", "users", "delete", aliceEmail)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("users delete: exit %d\n%s%s", res.ExitCode, res.Stdout, res.Stderr)
	}
	for _, want := range []string{"removed " + aliceEmail, "through the running server", "tasks:          2", "sessions:       2"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("users delete output lacks %q:\n%s", want, res.Stdout)
		}
	}

	// Alice: signed out everywhere, cannot sign in, no files left (also not
	// recreated by the task that was running).
	for _, c := range []*client{alice, aliceSecond} {
		if r := c.get(t, "/auth/me"); r.Status != http.StatusUnauthorized {
			t.Errorf("alice's session after delete: %d, want 401", r.Status)
		}
	}
	if r := newClient(s).tryLogin(t, aliceEmail, "alice-password-1"); r.Status != http.StatusUnauthorized {
		t.Errorf("alice's login after delete: %d, want 401", r.Status)
	}
	time.Sleep(time.Second)
	if _, err := os.Stat(filepath.Join(dataDir, "files", aliceID)); !os.IsNotExist(err) {
		t.Errorf("alice's files after delete: %v, want none", err)
	}

	// Bob: everything as it was.
	items, total := bob.listTasks(t)
	if total != 2 || len(items) != 2 {
		t.Fatalf("bob's tasks after alice's delete: %d (total %d), want 2", len(items), total)
	}
	for _, tk := range items {
		if tk.Status != "completed" {
			t.Errorf("bob's task %s is %s", tk.ID, tk.Status)
		}
		if txt := bob.downloadKind(t, tk, "txt"); len(txt) == 0 {
			t.Errorf("bob's result of %s is empty", tk.ID)
		}
	}

	// Someone ocrbox never saw, not in the users file: --data-only is the
	// way, and it finds nothing.
	res, _ = runCLI(binPath, dataDir, "", "users", "delete", "ldap-person@example.org")
	if res.ExitCode == 0 || !strings.Contains(res.Stderr, "--data-only") {
		t.Errorf("users delete of an account not in the users file: exit %d, stderr %q; want a hint at --data-only", res.ExitCode, res.Stderr)
	}
	res, _ = runCLI(binPath, dataDir, "", "users", "delete", "ldap-person@example.org", "--data-only")
	if res.ExitCode != 0 || !strings.Contains(res.Stdout, "no data stored") {
		t.Errorf("users delete --data-only of an unknown person: exit %d\n%s%s", res.ExitCode, res.Stdout, res.Stderr)
	}

	// The server dies without cleaning up: the socket file stays, stale.
	s.kill()
	if fi, err := os.Lstat(sock); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("after SIGKILL the socket should be left behind: %v, %v", fi, err)
	}
	res, err = runCLI(binPath, dataDir, "", "users", "delete", bobEmail)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("users delete with no server: %v, exit %d\n%s%s", err, res.ExitCode, res.Stdout, res.Stderr)
	}
	if !strings.Contains(res.Stdout, "through the database directly") || !strings.Contains(res.Stdout, "tasks:          2") {
		t.Errorf("users delete with no server:\n%s", res.Stdout)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "files", bobID)); !os.IsNotExist(err) {
		t.Errorf("bob's files after delete: %v, want none", err)
	}

	// A new server starts over the stale socket and removes it at stop.
	s2 := startTestServer(t, serverConfig{Bin: binPath, DataDir: dataDir})
	if r := newClient(s2).tryLogin(t, bobEmail, "bob-password-1"); r.Status != http.StatusUnauthorized {
		t.Errorf("bob's login after delete: %d, want 401", r.Status)
	}
	if err := s2.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket after a clean stop: %v, want removed", err)
	}
}
