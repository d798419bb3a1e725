package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// copyBinary copies the ocrbox binary to a path of its own, so that its
// plugin processes can be told apart from those of other servers.
func copyBinary(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(binPath)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "crash-bin", "ocrbox")
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// pluginProcs lists the live processes started as `BIN plugin …`.
func pluginProcs(t *testing.T, bin string) map[int]string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	out := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(raw) == 0 { // gone, or a zombie
			continue
		}
		args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		if len(args) >= 2 && args[0] == bin && args[1] == "plugin" {
			out[pid] = strings.Join(args, " ")
		}
	}
	return out
}

// ppid is the parent of a process, or 0 if it cannot be read.
func ppid(pid int) int {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// pid (comm) state ppid …; comm may contain spaces, so cut at the last ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// TestCrashRecovery kills the server with SIGKILL in the middle of
// multi-page work, checks that its engine processes die with it, restarts
// it on the same data directory and expects every task to complete.
func TestCrashRecovery(t *testing.T) {
	needDeps(t)
	bin := copyBinary(t)
	cfg := serverConfig{Bin: bin, DataDir: filepath.Join(t.TempDir(), "data")}
	s1 := startTestServer(t, cfg)

	email, password := "crash-"+randomHex(4)+"@example.org", "pw-"+randomHex(8)
	addUser(t, bin, cfg.DataDir, email, "Crash", password)
	c := newClient(s1).login(t, email, password)

	type want struct {
		name  string
		pages int
	}
	var ups []upload
	var wants []want
	for i := 1; i <= 3; i++ {
		u := corpusUpload(t, "multipage/four-pages.tif")
		u.Name = fmt.Sprintf("four-%d.tif", i)
		ups, wants = append(ups, u), append(wants, want{u.Name, 4})
	}
	for i := 1; i <= 2; i++ {
		u := corpusUpload(t, "multipage/three-pages.pdf")
		u.Name = fmt.Sprintf("three-%d.pdf", i)
		ups, wants = append(ups, u), append(wants, want{u.Name, 3})
	}
	created := c.upload(t, nil, ups...)

	// Wait until work is under way: some task processing with a page done.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		items, _ := c.listTasks(t)
		busy := false
		for _, it := range items {
			if it.Status == "processing" && it.PagesDone >= 1 && it.PagesDone < it.PagesTotal {
				busy = true
			}
		}
		if busy {
			var st []string
			for _, it := range items {
				st = append(st, fmt.Sprintf("%s %s %d/%d", it.Filename, it.Status, it.PagesDone, it.PagesTotal))
			}
			t.Logf("killing the server with: %s", strings.Join(st, ", "))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no task got under way within 2 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}

	children := pluginProcs(t, bin)
	for pid := range children {
		if ppid(pid) != s1.pid() {
			delete(children, pid)
		}
	}
	if len(children) < 2 {
		t.Errorf("expected the server's plugin processes (2 engines + local auth), found %v", children)
	}
	s1.kill()
	time.Sleep(time.Second)
	if left := pluginProcs(t, bin); len(left) > 0 {
		t.Errorf("plugin processes outlived the SIGKILLed server by 1 s: %v", left)
		for pid := range left {
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Kill()
			}
		}
	}

	s2 := startTestServer(t, cfg)
	c2 := newClient(s2).login(t, email, password)
	for i, tk := range created {
		done := c2.waitTerminal(t, tk.ID, 4*time.Minute)
		w := wants[i]
		if done.Status != "completed" {
			t.Errorf("%s: ended %s (error %q) after the restart, want completed", w.name, done.Status, done.Error)
			continue
		}
		if done.Filename != w.name || done.PagesTotal != w.pages || done.PagesDone != w.pages {
			t.Errorf("%s: %s with pages %d/%d, want %d/%d", w.name, done.Filename, done.PagesDone, done.PagesTotal, w.pages, w.pages)
		}
		txt := collapseSpace(string(c2.downloadKind(t, done, "txt")))
		if n := strings.Count(txt, "This is a lot of 12 point text"); n != 1 {
			t.Errorf("%s: the phototest page appears %d times in the text, want once (%d characters)", w.name, n, len(txt))
		}
		if n := pdfPages(t, c2.downloadKind(t, done, "pdf")); n != w.pages {
			t.Errorf("%s: the PDF has %d pages, want %d", w.name, n, w.pages)
		}
	}
	if items, total := c2.listTasks(t); total != len(created) {
		t.Errorf("after the restart the user has %d tasks (%d listed), want %d", total, len(items), len(created))
	}

	// Not an error by the brief, but worth seeing: half-written files the
	// crash left behind.
	var leftovers []string
	_ = filepath.WalkDir(filepath.Join(cfg.DataDir, "files"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !serverFileName.MatchString(d.Name()) {
			leftovers = append(leftovers, strings.TrimPrefix(path, cfg.DataDir))
		}
		return nil
	})
	if len(leftovers) > 0 {
		t.Logf("files left by the crash: %v", leftovers)
	}
}
