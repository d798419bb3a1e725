package localauth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Environment of the helper process started by TestConcurrentAdd.
const (
	helperEnvFile   = "LOCALAUTH_TEST_HELPER_USERS_FILE"
	helperEnvPrefix = "LOCALAUTH_TEST_HELPER_PREFIX"
	helperEnvCount  = "LOCALAUTH_TEST_HELPER_COUNT"
)

// TestHelperAddProcess is not a test: TestConcurrentAdd re-executes the test
// binary to run it as a second process writing the same users file.
func TestHelperAddProcess(t *testing.T) {
	path := os.Getenv(helperEnvFile)
	if path == "" {
		t.Skip("helper process for TestConcurrentAdd")
	}
	n, err := strconv.Atoi(os.Getenv(helperEnvCount))
	if err != nil {
		t.Fatal(err)
	}
	u := openUserFile(path, testParams)
	for i := range n {
		if err := u.Add(t.Context(), fmt.Sprintf("%s-%d@example.org", os.Getenv(helperEnvPrefix), i), "", "password1"); err != nil {
			t.Fatal(err)
		}
	}
}

// Writers in goroutines, in two UserFile values and in two other processes
// all add users to one file at once; none is lost.
func TestConcurrentAdd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	const perWriter = 12
	a, b := openUserFile(path, testParams), openUserFile(path, testParams)

	var want []string
	var procs []*exec.Cmd
	for _, prefix := range []string{"proc1", "proc2"} {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperAddProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnvFile+"="+path, helperEnvPrefix+"="+prefix, helperEnvCount+"="+strconv.Itoa(perWriter))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
		for i := range perWriter {
			want = append(want, fmt.Sprintf("%s-%d@example.org", prefix, i))
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, 4*perWriter)
	for w, u := range []*UserFile{a, a, b, b} {
		prefix := fmt.Sprintf("g%d", w)
		for i := range perWriter {
			want = append(want, fmt.Sprintf("%s-%d@example.org", prefix, i))
		}
		wg.Go(func() {
			for i := range perWriter {
				if err := u.Add(t.Context(), fmt.Sprintf("%s-%d@example.org", prefix, i), "", "password1"); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	for _, cmd := range procs {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper process: %v", err)
		}
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	for _, u := range []*UserFile{a, b, openUserFile(path, testParams)} {
		list, err := u.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range list {
			got = append(got, e.Email)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("users after concurrent adds: got %d, want %d (missing some)", len(got), len(want))
		}
	}
	if _, err := b.Verify(t.Context(), "proc2-3@example.org", "password1"); err != nil {
		t.Fatalf("Verify user added by another process: %v", err)
	}
}

// A writer waiting for the lock gives up when its context ends.
func TestLockHonoursContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.json")
	held, err := acquireLock(t.Context(), path+".lock")
	if err != nil {
		t.Fatal(err)
	}
	defer held.release()

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err = openUserFile(path, testParams).Add(ctx, "ada@example.org", "", "password1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Add under a held lock = %v, want DeadlineExceeded", err)
	}
}

// An unknown email costs an argon2 computation like a known one, so response
// time does not reveal which accounts exist. Without the dummy hash the
// unknown case would be ~1000x faster; the bound leaves room for noise.
func TestVerifyTimingUnknownUser(t *testing.T) {
	p := argonParams{memoryKiB: 8 * 1024, time: 1, threads: 1, saltLen: 16, keyLen: 32}
	u := openUserFile(filepath.Join(t.TempDir(), "users.json"), p)
	mustAdd(t, u, "ada@example.org", "", "password1")

	fastest := func(email string) time.Duration {
		best := time.Hour
		for range 5 {
			start := time.Now()
			_, err := u.Verify(t.Context(), email, "wrong-password")
			if !errors.Is(err, sdk.ErrInvalidCredentials) {
				t.Fatalf("Verify(%s) = %v", email, err)
			}
			best = min(best, time.Since(start))
		}
		return best
	}
	known, unknown := fastest("ada@example.org"), fastest("eve@example.org")
	if unknown < known/4 {
		t.Fatalf("unknown user took %v, known %v: timing reveals existence", unknown, known)
	}
}
