package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/worker"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// TestTesseractTaskCompletes runs real uploads through the real tesseract
// plugin process and checks every output the task asked for.
func TestTesseractTaskCompletes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		filename string
		input    func(t *testing.T) []byte
		outputs  string
		wantText string
	}{
		{"corpus phototest TIFF, every output", "phototest.tif",
			func(t *testing.T) []byte { return testenv.CorpusFile(t, "pages/phototest.tif") },
			"txt,hocr,json,pdf", "quick"},
		{"rendered PNG, txt only", "fox.png",
			func(t *testing.T) []byte { return textPNG(t, 4, "The quick brown fox", "jumps over the lazy dog") },
			"txt", "quick"},
	}
	h := newHarness(t, setup{engines: []string{"tesseract"}, processes: 2,
		opts: worker.Options{Workers: 2, MaxAttempts: 2, PageTimeout: 30 * time.Second,
			PollInterval: 50 * time.Millisecond, Backoff: 10 * time.Millisecond}})
	// Upload and subscribe first, then start the worker, so the
	// subscribers see every state from the claim on.
	type submitted struct {
		task *domain.Task
		seen chan []*domain.Task
	}
	var subs []submitted
	for _, tt := range tests {
		task := h.submit(t, tt.filename, "tesseract", tt.outputs, tt.input(t))
		wantStatus(t, task, domain.StatusPending)
		if task.PagesTotal != 1 {
			t.Fatalf("%s: pages_total at upload = %d, want 1", tt.name, task.PagesTotal)
		}
		_, updates, unsubscribe, err := h.svc.Watch(context.Background(), h.user.ID, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(unsubscribe)
		seen := make(chan []*domain.Task, 1)
		go func() {
			var got []*domain.Task
			for u := range updates {
				got = append(got, u)
				if u.Status.Terminal() {
					break
				}
			}
			seen <- got
		}()
		subs = append(subs, submitted{task, seen})
	}
	h.run(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task, seen := subs[i].task, subs[i].seen
			done := h.waitTerminal(t, task.ID, 60*time.Second)
			wantStatus(t, done, domain.StatusCompleted)
			if done.PagesDone != done.PagesTotal || done.PagesTotal != 1 {
				t.Errorf("pages %d/%d, want 1/1", done.PagesDone, done.PagesTotal)
			}
			if done.Error != "" || done.StartedAt == nil || done.CompletedAt == nil || done.Attempts != 1 {
				t.Errorf("error %q, started %v, completed %v, attempts %d", done.Error, done.StartedAt, done.CompletedAt, done.Attempts)
			}

			var published []*domain.Task
			select {
			case published = <-seen:
			case <-time.After(5 * time.Second):
				t.Fatal("the broker never published the completed task")
			}
			checkProgress(t, published)

			wantKinds := strings.Split(tt.outputs, ",")
			if len(done.Files) != 1+len(wantKinds) {
				t.Fatalf("files %+v, want the input and %v", done.Files, wantKinds)
			}
			for _, k := range wantKinds {
				f := fileOfKind(t, done, domain.FileKind(k))
				body := h.readOutput(t, done, f)
				if f.Size <= 0 || int64(len(body)) != f.Size {
					t.Errorf("%s: recorded size %d, stored %d bytes", k, f.Size, len(body))
				}
				if want := strings.TrimSuffix(tt.filename, path.Ext(tt.filename)) + map[string]string{"txt": ".txt", "hocr": ".hocr.html", "json": ".json", "pdf": ".ocr.pdf"}[k]; f.Name != want {
					t.Errorf("%s: name %q, want %q", k, f.Name, want)
				}
				checkOutput(t, domain.FileKind(k), f.ContentType, body, tt.wantText)
			}
		})
	}
}

// checkProgress checks what a subscriber saw: processing before the end,
// pages_done never going back, and completed last.
func checkProgress(t *testing.T, published []*domain.Task) {
	t.Helper()
	if len(published) < 2 {
		t.Fatalf("broker published %d updates, want processing and completed", len(published))
	}
	sawProcessing := false
	for i, u := range published {
		sawProcessing = sawProcessing || u.Status == domain.StatusProcessing
		if i > 0 && u.PagesDone < published[i-1].PagesDone {
			t.Errorf("pages_done went back from %d to %d", published[i-1].PagesDone, u.PagesDone)
		}
	}
	last := published[len(published)-1]
	if !sawProcessing || last.Status != domain.StatusCompleted || last.PagesDone != last.PagesTotal {
		t.Errorf("published statuses %v; last %s %d/%d", statuses(published), last.Status, last.PagesDone, last.PagesTotal)
	}
}

func statuses(ts []*domain.Task) []domain.TaskStatus {
	var out []domain.TaskStatus
	for _, x := range ts {
		out = append(out, x.Status)
	}
	return out
}

func fileOfKind(t *testing.T, task *domain.Task, kind domain.FileKind) domain.File {
	t.Helper()
	for _, f := range task.Files {
		if f.Kind == kind {
			return f
		}
	}
	t.Fatalf("task has no %s file: %+v", kind, task.Files)
	return domain.File{}
}

// checkOutput checks one assembled output's content type and content.
func checkOutput(t *testing.T, kind domain.FileKind, contentType string, body []byte, wantText string) {
	t.Helper()
	wantType := map[domain.FileKind]string{
		domain.KindTxt: "text/plain; charset=utf-8", domain.KindHOCR: "application/xhtml+xml; charset=utf-8",
		domain.KindJSON: "application/json", domain.KindPDF: "application/pdf",
	}[kind]
	if contentType != wantType {
		t.Errorf("%s: content type %q, want %q", kind, contentType, wantType)
	}
	switch kind {
	case domain.KindTxt:
		if !strings.Contains(strings.ToLower(string(body)), wantText) {
			t.Errorf("txt lacks %q:\n%s", wantText, body)
		}
	case domain.KindHOCR:
		if !bytes.Contains(body, []byte("ocr_page")) || !bytes.Contains(bytes.ToLower(body), []byte(wantText)) {
			t.Errorf("hocr lacks ocr_page or %q:\n%.500s", wantText, body)
		}
	case domain.KindJSON:
		var doc struct {
			Pages []struct {
				Number int    `json:"number"`
				Text   string `json:"text"`
				Words  []struct {
					Text string `json:"text"`
					BBox [4]int `json:"bbox"`
				} `json:"words"`
			} `json:"pages"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("json output: %v\n%.500s", err, body)
		}
		if len(doc.Pages) != 1 || doc.Pages[0].Number != 1 || len(doc.Pages[0].Words) == 0 ||
			!strings.Contains(strings.ToLower(doc.Pages[0].Text), wantText) {
			t.Errorf("json output: %.500s", body)
		}
	case domain.KindPDF:
		if !bytes.HasPrefix(body, []byte("%PDF-")) || !bytes.Contains(body[max(0, len(body)-1024):], []byte("%%EOF")) {
			t.Errorf("pdf output is not a complete PDF: %q…", body[:min(len(body), 16)])
		}
	}
}
