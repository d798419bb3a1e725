package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGracefulShutdown: on SIGTERM the page being recognised finishes
// (it is not thrown away), no new page starts, the task goes back to the
// queue with its pages kept, and the next start completes it without
// redoing them.
func TestGracefulShutdown(t *testing.T) {
	needDeps(t)
	dir := t.TempDir()
	cfg := serverConfig{Bin: binPath, DataDir: dir, Env: []string{"OCRBOX_OCR_WORKERS=1", "OCRBOX_OCR_BUILTIN_ENGINES=tesseract"}}
	s := startTestServer(t, cfg)
	email, password := "drain-"+randomHex(4)+"@example.org", "pw-"+randomHex(8)
	addUser(t, binPath, dir, email, "Drain", password)
	c := newClient(s).login(t, email, password)
	u := c.me(t)
	// Two of the corpus's slow pages (about 2 s each) in one TIFF would be
	// ideal; the four-page TIFF with one engine process is enough to catch
	// a page in flight.
	tk := c.upload(t, [][2]string{{"outputs", "txt"}}, corpusUpload(t, "multipage/four-pages.tif"))[0]
	// SIGTERM goes out once a page has been done for 250 ms: by then the
	// next one has been decoded and is in the engine (a page here takes
	// ~0.8 s). Right after a page is done the worker may still be decoding
	// the next, which shutdown rightly drops without recognising it.
	var seen int
	changed := time.Now()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cur := c.getTask(t, tk.ID)
		if cur.PagesDone != seen {
			seen, changed = cur.PagesDone, time.Now()
		}
		if cur.Status == "processing" && seen >= 1 && seen < cur.PagesTotal-1 && time.Since(changed) >= 250*time.Millisecond {
			break
		}
		if cur.terminal() || time.Now().After(deadline) {
			t.Fatalf("could not catch the task with a page in the engine (status %s, %d/%d)", cur.Status, cur.PagesDone, cur.PagesTotal)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t0 := time.Now()
	if err := s.stop(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	took := time.Since(t0)
	log := s.stderr.From(0)
	if !strings.Contains(log, "task re-queued for shutdown") || strings.Contains(log, "interrupted; their tasks are re-queued") {
		t.Fatalf("shutdown did not drain at a page boundary (took %s):\n%s", took, tail(quiet(log), 8<<10))
	}
	pages, _ := filepath.Glob(filepath.Join(taskDir(dir, u.ID, tk.ID), "page-*.json"))
	if len(pages) <= seen {
		t.Errorf("%d page result(s) on disk after shutdown; %d were done before SIGTERM, so the page in flight was dropped", len(pages), seen)
	}
	if len(pages) >= 4 {
		t.Errorf("all %d pages done: shutdown started new pages instead of stopping", len(pages))
	}
	t.Logf("SIGTERM with %d page(s) done: stopped in %s with %d page(s) on disk", seen, took.Round(time.Millisecond), len(pages))

	stamps := map[string]time.Time{}
	for _, p := range pages {
		fi, _ := os.Stat(p)
		stamps[p] = fi.ModTime()
	}
	s2 := startTestServer(t, cfg)
	c2 := newClient(s2).login(t, email, password)
	done := c2.waitStatus(t, tk.ID, "completed", 2*time.Minute)
	if done.PagesDone != 4 {
		t.Errorf("after restart: %d/%d pages", done.PagesDone, done.PagesTotal)
	}
	for p, before := range stamps {
		if fi, err := os.Stat(p); err != nil || !fi.ModTime().Equal(before) {
			t.Errorf("%s was recognised again after the restart", filepath.Base(p))
		}
	}
}
