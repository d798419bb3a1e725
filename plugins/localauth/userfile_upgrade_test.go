package localauth

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// oldParams stand for the costs of an earlier release (64 MiB in
// production): different from testParams, and as cheap.
var oldParams = argonParams{memoryKiB: 128, time: 3, threads: 1, saltLen: 16, keyLen: 32}

// storedRecord reads the account as it is on disk now.
func storedRecord(t *testing.T, path, email string) userRecord {
	t.Helper()
	users, _, err := readUsers(path)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := users[email]
	if !ok {
		t.Fatalf("%s is not in the file", email)
	}
	return r
}

func paramsOf(t *testing.T, hash string) argonParams {
	t.Helper()
	p, _, _, err := parsePHC(hash)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A file written under old parameters, served under the current ones.
func newOldFile(t *testing.T) (*UserFile, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.json")
	old := openUserFile(path, oldParams)
	mustAdd(t, old, "ada@example.org", "Ada", "analytical-engine")
	mustAdd(t, old, "carol@example.org", "Carol", "carol-pass")
	if err := old.SetDisabled(t.Context(), "carol@example.org", true); err != nil {
		t.Fatal(err)
	}
	return openUserFile(path, testParams), path
}

func TestVerifyUpgradesOldHash(t *testing.T) {
	u, path := newOldFile(t)
	before := storedRecord(t, path, "ada@example.org")

	// Wrong passwords and a disabled account's right one change nothing.
	for _, c := range []struct{ email, password string }{
		{"ada@example.org", "wrong-password"},
		{"carol@example.org", "carol-pass"},
	} {
		if _, err := u.Verify(t.Context(), c.email, c.password); !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("Verify(%s) = %v", c.email, err)
		}
	}
	u.upgrades.Wait()
	for _, email := range []string{"ada@example.org", "carol@example.org"} {
		if got := paramsOf(t, storedRecord(t, path, email).PasswordHash); got != oldParams {
			t.Fatalf("%s re-hashed without a successful sign-in: %+v", email, got)
		}
	}

	// The old hash verifies, and is then replaced by a current one.
	if e, err := u.Verify(t.Context(), "ada@example.org", "analytical-engine"); err != nil || e.Name != "Ada" {
		t.Fatalf("old hash: Verify = %+v, %v", e, err)
	}
	u.upgrades.Wait()
	after := storedRecord(t, path, "ada@example.org")
	if got := paramsOf(t, after.PasswordHash); got != testParams {
		t.Fatalf("after sign-in the hash has %+v, want %+v", got, testParams)
	}
	if !after.UpdatedAt.Equal(before.UpdatedAt) || after.Name != before.Name || after.Disabled {
		t.Fatalf("the upgrade changed more than the hash: %+v → %+v", before, after)
	}
	if ok, err := verifyPassword(after.PasswordHash, "analytical-engine"); err != nil || !ok {
		t.Fatalf("the new hash does not verify the password: %v %v", ok, err)
	}
	// Any UserFile (another process) sees it, and a current hash stays.
	again := openUserFile(path, testParams)
	if _, err := again.Verify(t.Context(), "ada@example.org", "analytical-engine"); err != nil {
		t.Fatal(err)
	}
	again.upgrades.Wait()
	if storedRecord(t, path, "ada@example.org").PasswordHash != after.PasswordHash {
		t.Fatal("a current hash was re-hashed")
	}
}

// The password changed (or the account went) between the check and the
// upgrade: the upgrade must not bring the old password back.
func TestUpgradeDoesNotOverwriteNewerHash(t *testing.T) {
	u, path := newOldFile(t)
	old := storedRecord(t, path, "ada@example.org").PasswordHash
	if err := u.SetPassword(t.Context(), "ada@example.org", "difference-engine"); err != nil {
		t.Fatal(err)
	}
	changed := storedRecord(t, path, "ada@example.org").PasswordHash
	if err := u.upgrade(t.Context(), "ada@example.org", old, "analytical-engine"); err != nil {
		t.Fatal(err)
	}
	if storedRecord(t, path, "ada@example.org").PasswordHash != changed {
		t.Fatal("the upgrade overwrote a password set meanwhile")
	}
	if err := u.Delete(t.Context(), "ada@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := u.upgrade(t.Context(), "ada@example.org", changed, "difference-engine"); err != nil {
		t.Fatal(err)
	}
	if users, _, _ := readUsers(path); len(users) != 1 {
		t.Fatalf("the upgrade recreated a deleted account: %d accounts", len(users))
	}
}

// Many sign-ins of one account at once, and of others: all succeed, the
// file stays whole, each account ends with one current hash.
func TestConcurrentSignInsUpgradeOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	old := openUserFile(path, oldParams)
	emails := []string{"a@example.org", "b@example.org", "c@example.org"}
	for _, e := range emails {
		mustAdd(t, old, e, "", "password-"+e)
	}
	u := openUserFile(path, testParams)
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := range 60 {
		e := emails[i%len(emails)]
		wg.Go(func() {
			if _, err := u.Verify(t.Context(), e, "password-"+e); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent sign-in: %v", err)
	}
	u.upgrades.Wait()
	for _, e := range emails {
		h := storedRecord(t, path, e).PasswordHash
		if got := paramsOf(t, h); got != testParams {
			t.Fatalf("%s: %+v", e, got)
		}
		if _, err := u.Verify(t.Context(), e, "password-"+e); err != nil {
			t.Fatalf("%s after the upgrade: %v", e, err)
		}
	}
}

// Unknown emails cost what the file's hashes cost: while every hash is old,
// every unknown email is checked against an old-cost dummy; with a mix,
// some are; one email always gets the same.
func TestDummyForFollowsStoredCosts(t *testing.T) {
	u, path := newOldFile(t)
	set, err := u.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		email := "nobody" + string(rune('a'+i)) + "@example.org"
		if got := paramsOf(t, set.dummyFor(email, testParams)); got != oldParams {
			t.Fatalf("all hashes old, dummy for %s has %+v", email, got)
		}
	}
	if got := paramsOf(t, newUserSet(nil).dummyFor("x@example.org", testParams)); got != testParams {
		t.Fatalf("no accounts: dummy has %+v", got)
	}

	// Half current, half old.
	cur := openUserFile(path, testParams)
	for _, e := range []string{"b@example.org", "c@example.org"} {
		mustAdd(t, cur, e, "", "password1")
	}
	set, err = cur.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[argonParams]int{}
	for i := range 200 {
		email := "nobody" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@example.org"
		p := paramsOf(t, set.dummyFor(email, testParams))
		if q := paramsOf(t, set.dummyFor(email, testParams)); q != p {
			t.Fatalf("dummy for %s changes between calls", email)
		}
		seen[p]++
	}
	if seen[oldParams] < 40 || seen[testParams] < 40 {
		t.Fatalf("dummies by cost: %v; want about half each", seen)
	}
}
