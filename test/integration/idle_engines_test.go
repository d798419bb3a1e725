package integration

import (
	"strings"
	"testing"
	"time"
)

// TestEnginesStartOnUseAndStopWhenIdle: through the real binary, with
// ocr.engine_idle_timeout short: after start-up no engine process runs
// (their Info was read once and kept), a page starts tesseract only (ocrad,
// which nobody asked for, never starts), it stops again after the idle
// time, and the next page is recognised as well as the first.
func TestEnginesStartOnUseAndStopWhenIdle(t *testing.T) {
	needDeps(t)
	dir := t.TempDir()
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: dir, Env: []string{"OCRBOX_OCR_ENGINE_IDLE_TIMEOUT=2s"}})
	email, password := "idle-"+randomHex(4)+"@example.org", "pw-"+randomHex(8)
	addUser(t, binPath, dir, email, "Idle", password)
	c := newClient(s).login(t, email, password)

	engines := func() []string {
		var out []string
		for pid, args := range pluginProcs(t, binPath) {
			if ppid(pid) == s.pid() && (strings.HasSuffix(args, " tesseract") || strings.HasSuffix(args, " ocrad")) {
				out = append(out, args[strings.LastIndexByte(args, ' ')+1:])
			}
		}
		return out
	}
	waitEngines := func(want int, within time.Duration) []string {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			got := engines()
			if len(got) == want {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("engine processes %v, want %d", got, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitEngines(0, 10*time.Second)
	if err := s.waitReady(time.Second); err != nil {
		t.Fatalf("with every engine stopped while idle: %v", err)
	}

	for round := 1; round <= 2; round++ {
		tk := c.upload(t, [][2]string{{"outputs", "txt"}}, corpusUpload(t, "pages/phototest.tif"))[0]
		done := c.waitTerminal(t, tk.ID, 2*time.Minute)
		if done.Status != "completed" {
			t.Fatalf("round %d: task %s: %s", round, done.Status, done.Error)
		}
		if text := c.downloadKind(t, done, "txt"); !strings.Contains(string(text), "quick brown dog") {
			t.Fatalf("round %d: text %q", round, text)
		}
		for _, name := range engines() {
			if name != "tesseract" {
				t.Fatalf("round %d: %s started although no page asked for it", round, name)
			}
		}
		// Stopped after the idle time (2 s) and the reaper's tick.
		waitEngines(0, 15*time.Second)
	}
}
