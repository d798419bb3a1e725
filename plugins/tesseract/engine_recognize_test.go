package tesseract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"

	"github.com/ocrbox/ocrbox/plugins/internal/enginetest"
)

func TestRecognizeAccuracy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		image, truth string
		langs        []string
		maxCER       float64
		mustContain  []string
	}{
		{"pages/phototest.tif", "pages/phototest.txt", []string{"eng"}, 0.02, []string{"quick brown dog"}},
		// README reference: 2.2 % with eng alone; deu should not make it worse.
		{"pages/eurotext.tif", "pages/eurotext.txt", []string{"eng", "deu"}, 0.04, []string{"über den faulen Hund"}},
	}
	e := newTestEngine(t, nil)
	requireLanguages(t, e, "eng", "deu")
	for _, tt := range tests {
		t.Run(filepath.Base(tt.image), func(t *testing.T) {
			resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{
				Image: enginetest.CorpusFile(t, tt.image), Languages: tt.langs, PageNumber: 1,
			})
			if err != nil {
				t.Fatalf("Recognize: %v", err)
			}
			want := string(enginetest.CorpusFile(t, tt.truth))
			got := cer(resp.GetText(), want)
			if got > tt.maxCER {
				t.Errorf("CER = %.2f%%, want <= %.2f%%\ngot:\n%s", got*100, tt.maxCER*100, resp.GetText())
			}
			t.Logf("CER %.2f%%, mean confidence %.0f", got*100, resp.GetMeanConfidence())
			collapsed := strings.Join(strings.Fields(resp.GetText()), " ")
			for _, s := range tt.mustContain {
				if !strings.Contains(collapsed, s) {
					t.Errorf("text lacks %q:\n%s", s, resp.GetText())
				}
			}
			if resp.GetWidth() <= 0 || resp.GetHeight() <= 0 {
				t.Errorf("size = %dx%d", resp.GetWidth(), resp.GetHeight())
			}
		})
	}
}

func TestRecognizeWords(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, nil)
	resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{
		Image: enginetest.CorpusFile(t, "pages/phototest.tif"), Languages: []string{"eng"}, WantHocr: true,
	})
	if err != nil {
		t.Fatalf("Recognize: %v", err)
	}
	if resp.GetWidth() != 640 || resp.GetHeight() != 480 {
		t.Errorf("size = %dx%d, want 640x480", resp.GetWidth(), resp.GetHeight())
	}
	if c := resp.GetMeanConfidence(); c < 80 || c > 100 {
		t.Errorf("mean confidence = %v, want 80..100 for a clean page", c)
	}
	words := resp.GetWords()
	if n := len(strings.Fields(resp.GetText())); len(words) != n {
		t.Errorf("%d words, but the text has %d", len(words), n)
	}
	var prev *sdk.Word
	for i, w := range words {
		if strings.TrimSpace(w.GetText()) == "" {
			t.Errorf("word %d has no text", i)
		}
		if w.GetX0() < 0 || w.GetY0() < 0 || w.GetX0() >= w.GetX1() || w.GetY0() >= w.GetY1() ||
			w.GetX1() > resp.GetWidth() || w.GetY1() > resp.GetHeight() {
			t.Errorf("word %d %q box (%d,%d)-(%d,%d) is empty or outside the %dx%d image",
				i, w.GetText(), w.GetX0(), w.GetY0(), w.GetX1(), w.GetY1(), resp.GetWidth(), resp.GetHeight())
		}
		if c := w.GetConfidence(); c < 0 || c > 100 {
			t.Errorf("word %d %q confidence %v outside 0..100", i, w.GetText(), c)
		}
		if w.GetBlock() < 1 || w.GetParagraph() < 1 || w.GetLine() < 1 {
			t.Errorf("word %d %q numbered block %d paragraph %d line %d, want >= 1",
				i, w.GetText(), w.GetBlock(), w.GetParagraph(), w.GetLine())
		}
		if prev != nil && (w.GetBlock() < prev.GetBlock() || w.GetParagraph() < prev.GetParagraph() || w.GetLine() < prev.GetLine() ||
			w.GetLine() > prev.GetLine()+1) {
			t.Errorf("word %d %q numbered %d/%d/%d after %d/%d/%d: must count up by one", i, w.GetText(),
				w.GetBlock(), w.GetParagraph(), w.GetLine(), prev.GetBlock(), prev.GetParagraph(), prev.GetLine())
		}
		prev = w
	}
	// phototest: one block, two paragraphs, eight lines.
	if prev == nil || prev.GetBlock() != 1 || prev.GetParagraph() != 2 || prev.GetLine() != 8 {
		t.Errorf("last word numbered %v, want block 1 paragraph 2 line 8", prev)
	}
	// The numbering matches the hOCR ids.
	if lines := strings.Count(resp.GetHocr(), "class='ocr_line'"); prev != nil && int(prev.GetLine()) != lines {
		t.Errorf("words reach line %d, hOCR has %d lines", prev.GetLine(), lines)
	}
}

func TestRecognizeHOCR(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, nil)
	page := enginetest.CorpusFile(t, "pages/phototest.tif")
	tests := []struct {
		pageNumber int32
		wantID     string
	}{
		{1, "id='page_1'"},
		{3, "id='page_3'"},
		{0, "id='page_1'"}, // unset
	}
	for _, tt := range tests {
		t.Run(tt.wantID, func(t *testing.T) {
			resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: page, PageNumber: tt.pageNumber, WantHocr: true})
			if err != nil {
				t.Fatalf("Recognize: %v", err)
			}
			hocr := resp.GetHocr()
			for _, s := range []string{"ocr_page", "ocrx_word", tt.wantID, ">quick<"} {
				if !strings.Contains(hocr, s) {
					t.Errorf("hOCR lacks %q:\n%.500s", s, hocr)
				}
			}
		})
	}
	t.Run("not wanted", func(t *testing.T) {
		resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: page})
		if err != nil {
			t.Fatalf("Recognize: %v", err)
		}
		if resp.GetHocr() != "" || resp.GetPdf() != nil {
			t.Errorf("got hOCR (%d bytes) or PDF (%d bytes) without asking", len(resp.GetHocr()), len(resp.GetPdf()))
		}
	})
}

// TestRecognizePDF is not parallel: it points TMPDIR at a directory of its
// own to check that the renderer's temporary files are removed. The page size
// shows which resolution tesseract used: phototest.tif says 200 dpi.
func TestRecognizePDF(t *testing.T) {
	requireTool(t, "pdftotext")
	requireTool(t, "pdfinfo")
	tmp, out := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	page := enginetest.CorpusFile(t, "pages/phototest.tif")
	tests := []struct {
		dpi      int32
		wantSize string // in points: 640x480 pixels * 72 / dpi
	}{
		{0, "230.4 x 172.8 pts"},
		{300, "153.6 x 115.2 pts"},
	}
	e := newTestEngine(t, nil)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("dpi %d", tt.dpi), func(t *testing.T) {
			resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{
				Image: page, Languages: []string{"eng"}, Dpi: tt.dpi, WantPdf: true,
			})
			if err != nil {
				t.Fatalf("Recognize: %v", err)
			}
			pdf := resp.GetPdf()
			if !bytes.HasPrefix(pdf, []byte("%PDF")) {
				t.Fatalf("PDF starts with %q", pdf[:min(len(pdf), 16)])
			}
			path := filepath.Join(out, fmt.Sprintf("page-%d.pdf", tt.dpi))
			if err := os.WriteFile(path, pdf, 0o600); err != nil {
				t.Fatal(err)
			}
			text := runTool(t, "pdftotext", path, "-")
			for _, w := range []string{"quick", "brown"} {
				if !strings.Contains(text, w) {
					t.Errorf("pdftotext output lacks %q:\n%s", w, text)
				}
			}
			if info := runTool(t, "pdfinfo", path); !strings.Contains(info, tt.wantSize) {
				t.Errorf("pdfinfo does not report page size %q:\n%s", tt.wantSize, info)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		})
	}
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return string(out)
}

func TestRecognizeErrors(t *testing.T) {
	t.Parallel()
	good := enginetest.CorpusFile(t, "pages/phototest.tif")
	png := enginetest.CorpusFile(t, "pages/phototest-rotated-R.png")
	cases := append([]enginetest.ErrorCase{
		{Name: "unknown language", Req: &sdk.RecognizeRequest{Image: good, Languages: []string{"xxx"}}, Err: sdk.ErrUnsupported, Msg: `"xxx"`},
		{Name: "unknown language in a combination", Req: &sdk.RecognizeRequest{Image: good, Languages: []string{"eng+xxx"}}, Err: sdk.ErrUnsupported, Msg: `"xxx"`},
		{Name: "osd is not a language", Req: &sdk.RecognizeRequest{Image: good, Languages: []string{"osd"}}, Err: sdk.ErrUnsupported, Msg: `"osd"`},
		{Name: "path as language", Req: &sdk.RecognizeRequest{Image: good, Languages: []string{"../eng"}}, Err: sdk.ErrUnsupported, Msg: `"../eng"`},
	}, enginetest.BadImageCases(png)...)
	enginetest.CheckRecognizeErrors(t, newTestEngine(t, nil), good, cases)
}

func TestRecognizeCancel(t *testing.T) {
	t.Parallel()
	good := enginetest.CorpusFile(t, "pages/phototest.tif")
	// About 2 s of recognition, so a cancel after 300 ms lands mid-page.
	long := enginetest.CorpusFile(t, "pages/8071_093.3B.tif")
	e := newTestEngine(t, nil)
	// Load the model first so the timings below are recognition only.
	if _, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: good}); err != nil {
		t.Fatalf("warm-up: %v", err)
	}

	tests := []struct {
		name    string
		ctx     func(t *testing.T) context.Context
		image   []byte
		wantErr error
		// wantStops counts pages tesseract abandoned on seeing the cancel
		// flag, rather than finishing before we noticed ctx; -1: either.
		wantStops int
	}{
		{"already cancelled", func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		}, good, context.Canceled, 0},
		{"deadline passed", func(t *testing.T) context.Context {
			ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx
		}, good, context.DeadlineExceeded, 0},
		{"cancelled mid-page", func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(300*time.Millisecond, cancel)
			t.Cleanup(cancel)
			return ctx
		}, long, context.Canceled, 1},
		{"deadline mid-page", func(t *testing.T) context.Context {
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}, long, context.DeadlineExceeded, -1}, // tesseract's own deadline and the flag race
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stops := e.stops
			start := time.Now()
			_, err := e.Recognize(tt.ctx(t), &sdk.RecognizeRequest{Image: tt.image, Languages: []string{"eng"}})
			elapsed := time.Since(start)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if got := e.stops - stops; tt.wantStops >= 0 && got != tt.wantStops {
				t.Errorf("tesseract stopped %d times by the cancel flag, want %d", got, tt.wantStops)
			}
			t.Logf("returned after %v", elapsed)
			resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: good, Languages: []string{"eng"}})
			if err != nil {
				t.Fatalf("next page: %v", err)
			}
			if !strings.Contains(resp.GetText(), "quick brown") {
				t.Errorf("next page text:\n%s", resp.GetText())
			}
		})
	}
}

var wordRE = regexp.MustCompile(`\S+`)

// BenchmarkRecognizePhototest measures one warm page: model loaded, text,
// words and hOCR, no PDF. Run with OMP_THREAD_LIMIT=1.
func BenchmarkRecognizePhototest(b *testing.B) {
	e := newTestEngine(b, nil)
	req := &sdk.RecognizeRequest{Image: enginetest.CorpusFile(b, "pages/phototest.tif"), Languages: []string{"eng"}, WantHocr: true}
	if _, err := e.Recognize(b.Context(), req); err != nil {
		b.Fatalf("warm-up: %v", err)
	}
	var words int
	for b.Loop() {
		resp, err := e.Recognize(b.Context(), req)
		if err != nil {
			b.Fatalf("Recognize: %v", err)
		}
		words = len(wordRE.FindAllString(resp.GetText(), -1))
	}
	b.ReportMetric(float64(words), "words/page")
}
