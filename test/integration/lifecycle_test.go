package integration

import (
	"net/http"
	"os"
	"testing"
	"time"
)

// TestLifecycle walks a task through cancel, retry, delete, and the
// session through logout, checking the 409s of the wrong states.
func TestLifecycle(t *testing.T) {
	s := sharedServer(t)
	c, u := newUser(t, s, "life", "Life")

	tk := c.upload(t, [][2]string{{"outputs", "txt,pdf"}}, corpusUpload(t, "multipage/four-pages.tif"))[0]

	// Catch it while processing.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		cur := c.getTask(t, tk.ID)
		if cur.Status == "processing" && cur.PagesDone < cur.PagesTotal {
			break
		}
		if cur.terminal() || time.Now().After(deadline) {
			t.Fatalf("never saw the task processing: %s %d/%d", cur.Status, cur.PagesDone, cur.PagesTotal)
		}
		time.Sleep(20 * time.Millisecond)
	}

	r := c.do(t, http.MethodPost, "/tasks/"+tk.ID+"/cancel", nil, "")
	if r.Status != http.StatusAccepted {
		t.Fatalf("cancel a processing task: status %d, want 202: %s", r.Status, r.Body)
	}
	var cancelled task
	r.JSON(t, &cancelled)
	if cancelled.Status != "cancelled" {
		t.Errorf("cancel answer has status %q, want cancelled", cancelled.Status)
	}
	// The worker must not overwrite the cancellation when its pages return.
	time.Sleep(3 * time.Second)
	if got := c.getTask(t, tk.ID); got.Status != "cancelled" {
		t.Errorf("3 s after cancel the task is %s (%d/%d), want cancelled", got.Status, got.PagesDone, got.PagesTotal)
	}

	r = c.do(t, http.MethodPost, "/tasks/"+tk.ID+"/cancel", nil, "")
	if r.Status != http.StatusConflict {
		t.Errorf("cancel a cancelled task: status %d, want 409: %s", r.Status, r.Body)
	} else {
		r.apiError(t)
	}

	r = c.do(t, http.MethodPost, "/tasks/"+tk.ID+"/retry", nil, "")
	if r.Status != http.StatusAccepted {
		t.Fatalf("retry a cancelled task: status %d, want 202: %s", r.Status, r.Body)
	}
	var retried task
	r.JSON(t, &retried)
	if retried.Status != "pending" && retried.Status != "processing" {
		t.Errorf("retry answer has status %q, want pending", retried.Status)
	}
	done := c.waitStatus(t, tk.ID, "completed", 3*time.Minute)
	if done.PagesTotal != 4 || done.PagesDone != 4 || done.Error != "" {
		t.Errorf("after retry: %d/%d pages, error %q; want 4/4 and no error", done.PagesDone, done.PagesTotal, done.Error)
	}
	pdfBytes := c.downloadKind(t, done, "pdf")
	if n := pdfPages(t, pdfBytes); n != 4 {
		t.Errorf("after retry the PDF has %d pages, want 4", n)
	}

	r = c.do(t, http.MethodPost, "/tasks/"+tk.ID+"/retry", nil, "")
	if r.Status != http.StatusConflict {
		t.Errorf("retry a completed task: status %d, want 409: %s", r.Status, r.Body)
	} else {
		r.apiError(t)
	}
	r = c.do(t, http.MethodPost, "/tasks/"+tk.ID+"/cancel", nil, "")
	if r.Status != http.StatusConflict {
		t.Errorf("cancel a completed task: status %d, want 409: %s", r.Status, r.Body)
	}

	dir := taskDir(s.cfg.DataDir, u.ID, tk.ID)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the task directory should exist before delete: %v", err)
	}
	r = c.do(t, http.MethodDelete, "/tasks/"+tk.ID, nil, "")
	if r.Status != http.StatusNoContent {
		t.Fatalf("delete: status %d, want 204: %s", r.Status, r.Body)
	}
	if r := c.get(t, "/tasks/"+tk.ID); r.Status != http.StatusNotFound {
		t.Errorf("GET after delete: status %d, want 404", r.Status)
	}
	in, _ := done.file("input")
	if r := c.get(t, "/tasks/"+tk.ID+"/files/"+in.ID); r.Status != http.StatusNotFound {
		t.Errorf("download after delete: status %d, want 404", r.Status)
	}
	if r := c.do(t, http.MethodDelete, "/tasks/"+tk.ID, nil, ""); r.Status != http.StatusNotFound {
		t.Errorf("second delete: status %d, want 404", r.Status)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the task directory %s is still on disk after delete (%v)", dir, err)
	}
	if _, total := c.listTasks(t); total != 0 {
		t.Errorf("after delete the list has %d tasks, want 0", total)
	}

	r = c.do(t, http.MethodPost, "/auth/logout", nil, "")
	if r.Status != http.StatusNoContent {
		t.Fatalf("logout: status %d, want 204: %s", r.Status, r.Body)
	}
	for _, path := range []string{"/auth/me", "/tasks"} {
		r := c.get(t, path)
		if r.Status != http.StatusUnauthorized {
			t.Errorf("GET %s with the logged-out token: status %d, want 401", path, r.Status)
		} else {
			r.apiError(t)
		}
	}
}
