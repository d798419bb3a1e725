package integration

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBackupRestoreUnderLoad: `ocrbox backup` through a running server
// while uploads keep coming, `ocrbox restore` into an empty directory, and a
// server on the restored data has every task of the snapshot with the same
// files, byte for byte; the accounts still sign in; search works again.
func TestBackupRestoreUnderLoad(t *testing.T) {
	needDeps(t)
	dirA := t.TempDir()
	a := startTestServer(t, serverConfig{Bin: binPath, DataDir: dirA})
	email, password := "backup-"+randomHex(4)+"@example.org", "pw-"+randomHex(8)
	addUser(t, binPath, dirA, email, "Backup", password)
	alice := newClient(a).login(t, email, password)
	page := corpusUpload(t, "pages/phototest.tif")
	var before []task
	for range 3 {
		tk := alice.upload(t, [][2]string{{"outputs", "txt,json,pdf"}}, page)[0]
		before = append(before, alice.waitStatus(t, tk.ID, "completed", 2*time.Minute))
	}

	// Write load: uploads one after another until the backup is done.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var during atomic.Int32
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			body, ct := multipartBody(t, [][2]string{{"outputs", "txt"}}, []upload{page})
			r := alice.do(t, "POST", "/tasks", body, ct)
			if r.Status != http.StatusAccepted {
				t.Errorf("upload under load: %d %s", r.Status, r.Body)
				return
			}
			during.Add(1)
			time.Sleep(50 * time.Millisecond)
		}
	}()
	time.Sleep(300 * time.Millisecond)
	out := filepath.Join(t.TempDir(), "ocrbox-backup.tar.gz")
	res, err := runCLI(binPath, dirA, "", "backup", "--out", out)
	stop.Store(true)
	wg.Wait()
	if err != nil || res.ExitCode != 0 || !strings.Contains(res.Stdout, "through the running server") {
		t.Fatalf("ocrbox backup: %v exit %d\n%s%s", err, res.ExitCode, res.Stdout, res.Stderr)
	}
	t.Logf("backup (with %d uploads running alongside):\n%s", during.Load(), res.Stdout)
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v, want mode 0600", err, fi)
	}

	dirB := t.TempDir()
	if res, err := runCLI(binPath, dirB, "", "restore", out); err != nil || res.ExitCode != 0 {
		t.Fatalf("ocrbox restore: %v exit %d\n%s%s", err, res.ExitCode, res.Stdout, res.Stderr)
	}
	if res, _ := runCLI(binPath, dirB, "", "restore", out); res.ExitCode == 0 || !strings.Contains(res.Stderr, "not empty") {
		t.Fatalf("restore over restored data: exit %d %s, want a refusal", res.ExitCode, res.Stderr)
	}
	// A damaged copy is refused and leaves nothing behind.
	data, _ := os.ReadFile(out)
	bad := filepath.Join(t.TempDir(), "bad.tar.gz")
	_ = os.WriteFile(bad, data[:len(data)*2/3], 0o600)
	dirC := t.TempDir()
	if res, _ := runCLI(binPath, dirC, "", "restore", bad); res.ExitCode == 0 || !strings.Contains(res.Stderr, "not a valid ocrbox backup") {
		t.Fatalf("restore of a truncated backup: exit %d %s", res.ExitCode, res.Stderr)
	}
	if entries, _ := os.ReadDir(dirC); len(entries) != 0 {
		t.Fatalf("a failed restore left %d entries", len(entries))
	}

	b := startTestServer(t, serverConfig{Bin: binPath, DataDir: dirB})
	bob := newClient(b).login(t, email, password) // users.json came back
	itemsA, totalA := alice.listTasks(t)
	itemsB, totalB := bob.listTasks(t)
	if totalB < len(before) || totalB > totalA {
		t.Fatalf("restored %d tasks; the source had %d before the backup and %d after", totalB, len(before), totalA)
	}
	byID := map[string]task{}
	for _, tk := range itemsA {
		byID[tk.ID] = tk
	}
	for _, tk := range before {
		if _, ok := find(itemsB, tk.ID); !ok {
			t.Errorf("task %s, completed before the backup, is not in the restore", tk.ID)
		}
	}
	compared := 0
	for _, tb := range itemsB {
		ta, ok := byID[tb.ID]
		if !ok {
			t.Errorf("restored task %s does not exist in the source", tb.ID)
			continue
		}
		if tb.Filename != ta.Filename || !tb.CreatedAt.Equal(ta.CreatedAt) {
			t.Errorf("task %s: restored %s/%v, source %s/%v", tb.ID, tb.Filename, tb.CreatedAt, ta.Filename, ta.CreatedAt)
		}
		if tb.Status != "completed" {
			tb = bob.waitStatus(t, tb.ID, "completed", 2*time.Minute) // queued in the snapshot: runs again here
		}
		ta = alice.waitStatus(t, ta.ID, "completed", 2*time.Minute)
		for _, fb := range tb.Files {
			fa, ok := ta.file(fb.Kind)
			if !ok {
				t.Errorf("task %s: restored file %s missing at the source", tb.ID, fb.Kind)
				continue
			}
			if fa.ID != fb.ID {
				continue // made again after the restore, not copied
			}
			if !bytes.Equal(alice.download(t, ta.ID, fa.ID).Body, bob.download(t, tb.ID, fb.ID).Body) {
				t.Errorf("task %s file %s differs after the restore", tb.ID, fb.Kind)
			}
			compared++
		}
	}
	if compared < len(before)*4 {
		t.Errorf("compared %d files byte for byte, want at least %d (input, txt, json, pdf of the tasks done before)", compared, len(before)*4)
	}
	// The index was left out of the backup and is rebuilt at start.
	deadline := time.Now().Add(time.Minute)
	for {
		r := bob.get(t, "/history?q=phototest")
		if r.Status == http.StatusOK {
			var v struct{ Total int }
			r.JSON(t, &v)
			if v.Total == totalB {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("search on the restored server: %d %s, want total %d", r.Status, r.Body, totalB)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("restored %d of %d tasks (%d uploaded during the backup), %d files compared byte for byte", totalB, totalA, during.Load(), compared)
}

func find(items []task, id string) (task, bool) {
	for _, t := range items {
		if t.ID == id {
			return t, true
		}
	}
	return task{}, false
}
