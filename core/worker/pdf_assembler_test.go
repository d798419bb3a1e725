package worker_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/outputs"
	"github.com/ocrbox/ocrbox/core/worker"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// crashingAssembler writes half a document and then fails the way a
// crashed assembler process does (pagehelper.Error): an error that wraps
// domain.ErrTransient and is not a *domain.Error. It keeps what it was
// asked to assemble.
type crashingAssembler struct {
	mu  sync.Mutex
	got []outputs.PDFFiles
}

type assemblerCrash struct{}

func (assemblerCrash) Error() string { return "the PDF assembler crashed (killed)" }
func (assemblerCrash) Unwrap() error { return domain.ErrTransient }

func (a *crashingAssembler) AssemblePDF(_ context.Context, f outputs.PDFFiles, out *os.File) (outputs.PDFResult, error) {
	a.mu.Lock()
	a.got = append(a.got, f)
	a.mu.Unlock()
	_, _ = out.WriteString("%PDF-1.7\n% half a document")
	return outputs.PDFResult{}, assemblerCrash{}
}

// TestPDFAssemblerCrash: the worker hands the assembler the files of the
// task's searchable PDF — the page's text layer and image by path, the
// page result without its text — and an assembler that crashes fails the
// task retryably with decode_failed and its message, leaving no half
// result.pdf behind.
func TestPDFAssemblerCrash(t *testing.T) {
	t.Parallel()
	asm := &crashingAssembler{}
	h := newHarness(t, setup{engines: []string{"tesseract"}, opts: worker.Options{Workers: 1, MaxAttempts: 1,
		PageTimeout: 30 * time.Second, PollInterval: 50 * time.Millisecond, PDFAssembler: asm}})
	task := h.submit(t, "phototest.tif", "tesseract", "txt,pdf", testenv.CorpusFile(t, "pages/phototest.tif"))
	h.run(t)
	done := h.waitTerminal(t, task.ID, 90*time.Second)
	wantStatus(t, done, domain.StatusFailed)
	if !done.Retryable || done.ErrorCode != domain.CodeDecodeFailed ||
		!strings.Contains(done.Error, "the PDF assembler crashed (killed)") {
		t.Errorf("failed with %q (code %q, retryable %v), want the assembler's crash, decode_failed, retryable",
			done.Error, done.ErrorCode, done.Retryable)
	}
	if names := h.taskFiles(t, done); slices.Contains(names, "result.pdf") {
		t.Errorf("a half-written result.pdf stayed: %v", names)
	}

	asm.mu.Lock()
	defer asm.mu.Unlock()
	if len(asm.got) != 1 || len(asm.got[0].Pages) != 1 {
		t.Fatalf("assembler asked %d times: %+v", len(asm.got), asm.got)
	}
	f := asm.got[0]
	p := f.Pages[0]
	if f.Original != "" || !f.PDFA || f.Meta.Filename != "phototest.tif" {
		t.Errorf("document %+v: want an image upload's, PDF/A, named after the upload", f)
	}
	if p.Result.Number != 1 || p.Result.Width == 0 || p.Result.Text != "" || p.Result.HOCR != "" || p.Result.Words != nil {
		t.Errorf("page result %+v: want page 1's placement without its text", p.Result)
	}
	for what, path := range map[string]string{"text layer": p.TextPDF, "image": p.Image} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s %q: %v", what, path, err)
			continue
		}
		if what == "text layer" && !strings.HasPrefix(string(data), "%PDF-") {
			t.Errorf("text layer %q is not a PDF", path)
		}
	}
}
