package ocrad

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/internal/enginetest"
	"github.com/ocrbox/ocrbox/plugins/sdk"

	"github.com/ocrbox/ocrbox/test/testenv"
)

// renderedLines is the page TestRecognizeRendered draws: ASCII and the
// Latin-1 letters ocrad must hand over as UTF-8.
var renderedLines = []string{
	"The quick brown fox jumps over the lazy dog.",
	"Größe über Straße, Ça va? Señor Müller",
	"0123456789 (abc) [def] 12.5% e-mail",
}

// TestRecognizeAccuracy holds ocrad to the character error rates measured
// on the shared corpus with ocrad 0.28 (default settings), plus a margin:
// phototest 0.35 %, eurotext 3.4 %, 8087 4.0 %, 8071 18.2 %. Tesseract's
// are in the corpus README.
func TestRecognizeAccuracy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		image, truth string
		langs        []string
		maxCER       float64
		mustContain  []string
	}{
		{"pages/phototest.tif", "pages/phototest.txt", []string{"eng"}, 0.01, []string{"quick brown dog", "lazy fox"}},
		{"pages/eurotext.tif", "pages/eurotext.txt", []string{"eng", "deu"}, 0.05, []string{"über den faulen Hund", "marrón rápido"}},
		{"pages/8087_054.3B.tif", "pages/8087_054.3B.txt", []string{"eng"}, 0.06, nil},
		{"pages/8071_093.3B.tif", "pages/8071_093.3B.txt", []string{"eng"}, 0.22, nil},
	}
	e := newTestEngine(t, nil)
	for _, tt := range tests {
		t.Run(filepath.Base(tt.image), func(t *testing.T) {
			t.Parallel()
			resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{
				Image: testenv.CorpusFile(t, tt.image), ContentType: "image/tiff", Languages: tt.langs, PageNumber: 1,
			})
			if err != nil {
				t.Fatalf("Recognize: %v", err)
			}
			got := cer(resp.GetText(), string(testenv.CorpusFile(t, tt.truth)))
			if got > tt.maxCER {
				t.Errorf("CER = %.2f%%, want <= %.2f%%\ngot:\n%s", got*100, tt.maxCER*100, resp.GetText())
			}
			t.Logf("CER %.2f%%", got*100)
			collapsed := strings.Join(strings.Fields(resp.GetText()), " ")
			for _, s := range tt.mustContain {
				if !strings.Contains(collapsed, s) {
					t.Errorf("text lacks %q:\n%s", s, resp.GetText())
				}
			}
			checkNoBoxesNoConfidence(t, resp)
		})
	}
}

// checkNoBoxesNoConfidence checks that a response claims nothing ocrad did
// not compute.
func checkNoBoxesNoConfidence(t *testing.T, resp *sdk.RecognizeResponse) {
	t.Helper()
	if len(resp.GetWords()) != 0 {
		t.Errorf("%d words, but ocrad exposes no boxes", len(resp.GetWords()))
	}
	if resp.GetMeanConfidence() >= 0 {
		t.Errorf("mean confidence = %v, want negative (none)", resp.GetMeanConfidence())
	}
	if resp.GetHocr() != "" || resp.GetPdf() != nil {
		t.Errorf("got hOCR (%d bytes) or PDF (%d bytes)", len(resp.GetHocr()), len(resp.GetPdf()))
	}
}

// TestRecognizeRendered OCRs a page the test draws itself, in PNG and JPEG,
// greyscale and colour: no corpus needed, and Latin-1 letters beyond ASCII.
// Measured CER 5.9 % (ocrad reads Go Mono's l as L, ß as k).
func TestRecognizeRendered(t *testing.T) {
	t.Parallel()
	page := renderPage(t, renderedLines...)
	src, err := png.Decode(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		contentType string
		data        []byte
	}{
		{"png grey", "image/png", page},
		{"jpeg grey", "image/jpeg", encodeJPEG(t, src)},
		{"png colour", "image/png", encodePNG(t, colourise(src))},
		{"png with alpha", "image/png", encodePNG(t, transparentBackground(src))},
	}
	e := newTestEngine(t, nil)
	want := strings.Join(renderedLines, "\n")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: tt.data, ContentType: tt.contentType, Languages: []string{"deu+fra+spa"}})
			if err != nil {
				t.Fatalf("Recognize: %v", err)
			}
			if b := src.Bounds(); resp.GetWidth() != int32(b.Dx()) || resp.GetHeight() != int32(b.Dy()) {
				t.Errorf("size = %dx%d, want %dx%d", resp.GetWidth(), resp.GetHeight(), b.Dx(), b.Dy())
			}
			got := cer(resp.GetText(), want)
			if got > 0.10 {
				t.Errorf("CER = %.2f%%, want <= 10%%\n%s", got*100, resp.GetText())
			}
			t.Logf("CER %.2f%%", got*100)
			for _, s := range []string{"quick brown fox", "über", "Señor", "Ça va", "0123456789"} {
				if !strings.Contains(resp.GetText(), s) {
					t.Errorf("text lacks %q:\n%s", s, resp.GetText())
				}
			}
			if lines := strings.Count(resp.GetText(), "\n"); lines != len(renderedLines) {
				t.Errorf("%d lines, want %d:\n%s", lines, len(renderedLines), resp.GetText())
			}
			checkNoBoxesNoConfidence(t, resp)
		})
	}
}

// TestRecognizeBlank checks that pages with nothing to read, down to a
// single pixel, give empty text, not an error or a crash.
func TestRecognizeBlank(t *testing.T) {
	t.Parallel()
	tests := []struct {
		w, h int
		fill uint8
	}{
		{2480, 3508, 255}, // white A4 at 300 dpi
		{640, 480, 200},   // uniform light grey
		{1, 1, 255},
		{2, 2, 0},
		{3, 3, 0},
		{500, 1, 0},
		{1, 500, 255},
	}
	e := newTestEngine(t, nil)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%dx%d %d", tt.w, tt.h, tt.fill), func(t *testing.T) {
			t.Parallel()
			img := image.NewGray(image.Rect(0, 0, tt.w, tt.h))
			for i := range img.Pix {
				img.Pix[i] = tt.fill
			}
			resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: encodePNG(t, img), ContentType: "image/png"})
			if err != nil {
				t.Fatalf("Recognize: %v", err)
			}
			if strings.TrimSpace(resp.GetText()) != "" {
				t.Errorf("text = %q, want none", resp.GetText())
			}
			if resp.GetWidth() != int32(tt.w) || resp.GetHeight() != int32(tt.h) {
				t.Errorf("size = %dx%d, want %dx%d", resp.GetWidth(), resp.GetHeight(), tt.w, tt.h)
			}
			checkNoBoxesNoConfidence(t, resp)
		})
	}
}

func TestRecognizeErrors(t *testing.T) {
	t.Parallel()
	good := renderPage(t, renderedLines...) // a PNG
	cases := append([]enginetest.ErrorCase{
		{Name: "language outside latin-1", Req: &sdk.RecognizeRequest{Image: good, Languages: []string{"rus"}}, Err: sdk.ErrUnsupported, Msg: `"rus"`},
		{Name: "unknown language in a combination", Req: &sdk.RecognizeRequest{Image: good, Languages: []string{"eng+xxx"}}, Err: sdk.ErrUnsupported, Msg: `"xxx"`},
		{Name: "path as language", Req: &sdk.RecognizeRequest{Image: good, Languages: []string{"../eng"}}, Err: sdk.ErrUnsupported, Msg: `"../eng"`},
		{Name: "pdf wanted", Req: &sdk.RecognizeRequest{Image: good, WantPdf: true}, Err: sdk.ErrUnsupported, Msg: "pdf"},
		{Name: "tiff header only", Req: &sdk.RecognizeRequest{Image: []byte("II*\x00\x08\x00\x00\x00\x00\x00")}, Err: sdk.ErrBadImage, Msg: "image cannot be read"},
	}, enginetest.BadImageCases(good)...)
	enginetest.CheckRecognizeErrors(t, newTestEngine(t, nil), good, cases)
}

// TestRecognizeCancel checks that an ended ctx stops the page at the next
// step. Ocrad itself cannot be interrupted; a 300 dpi page takes it about
// 0.1-0.3 s.
func TestRecognizeCancel(t *testing.T) {
	t.Parallel()
	page := renderPage(t, renderedLines...)
	tests := []struct {
		name    string
		ctx     func(t *testing.T) context.Context
		wantErr error
	}{
		{"already cancelled", func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		}, context.Canceled},
		{"deadline passed", func(t *testing.T) context.Context {
			ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx
		}, context.DeadlineExceeded},
	}
	e := newTestEngine(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Recognize(tt.ctx(t), &sdk.RecognizeRequest{Image: page})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	t.Run("cancelled during the page", func(t *testing.T) {
		// A big page and a cancel soon after the start: whichever step
		// is running, the result must be ctx's error, never text.
		big := testenv.CorpusFile(t, "pages/8071_093.3B.tif")
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(20*time.Millisecond, cancel)
		defer cancel()
		resp, err := e.Recognize(ctx, &sdk.RecognizeRequest{Image: big})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v (text %d bytes), want context.Canceled", err, len(resp.GetText()))
		}
	})
}

// TestRecognizeConcurrent runs pages on several goroutines at once, as the
// gRPC server may, and checks every result is the one a lone page gets.
// Run with -race.
func TestRecognizeConcurrent(t *testing.T) {
	t.Parallel()
	pages := [][]byte{
		renderPage(t, renderedLines...),
		renderPage(t, "Pack my box with five dozen liquor jugs."),
		encodePNG(t, image.NewGray(image.Rect(0, 0, 300, 200))),
	}
	e := newTestEngine(t, nil)
	want := make([]string, len(pages))
	for i, p := range pages {
		resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: p})
		if err != nil {
			t.Fatalf("page %d alone: %v", i, err)
		}
		want[i] = resp.GetText()
	}
	const goroutines, rounds = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*rounds)
	for g := range goroutines {
		wg.Go(func() {
			for r := range rounds {
				i := (g + r) % len(pages)
				resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: pages[i]})
				switch {
				case err != nil:
					errs <- fmt.Errorf("goroutine %d page %d: %w", g, i, err)
				case resp.GetText() != want[i]:
					errs <- fmt.Errorf("goroutine %d page %d: text %q, alone %q", g, i, resp.GetText(), want[i])
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestThresholdSetting checks that the threshold setting reaches ocrad: at
// 0 nothing of a mid-grey page is black, at 255 all of it is.
func TestThresholdSetting(t *testing.T) {
	t.Parallel()
	src, err := png.Decode(bytes.NewReader(renderPage(t, renderedLines...)))
	if err != nil {
		t.Fatal(err)
	}
	// Grey text (100) on light grey (200): readable with auto and 150.
	b := src.Bounds()
	grey := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := color.GrayModel.Convert(src.At(x, y)).(color.Gray).Y
			grey.SetGray(x, y, color.Gray{Y: 100 + uint8(int(v)*100/255)})
		}
	}
	page := encodePNG(t, grey)
	tests := []struct {
		threshold string
		readable  bool
	}{
		{"auto", true},
		{"150", true},
		{"0", false},
	}
	for _, tt := range tests {
		t.Run(tt.threshold, func(t *testing.T) {
			t.Parallel()
			e := newTestEngine(t, map[string]string{"threshold": tt.threshold})
			resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: page})
			if err != nil {
				t.Fatalf("Recognize: %v", err)
			}
			if got := strings.Contains(resp.GetText(), "quick brown"); got != tt.readable {
				t.Errorf("readable = %v, want %v; text:\n%s", got, tt.readable, resp.GetText())
			}
		})
	}
}

// BenchmarkRecognizePhototest measures one page: decode, recognise, text.
func BenchmarkRecognizePhototest(b *testing.B) {
	e := newTestEngine(b, nil)
	req := &sdk.RecognizeRequest{Image: testenv.CorpusFile(b, "pages/phototest.tif"), Languages: []string{"eng"}}
	for b.Loop() {
		if _, err := e.Recognize(b.Context(), req); err != nil {
			b.Fatalf("Recognize: %v", err)
		}
	}
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// colourise turns a black-on-white page into dark blue on pale yellow.
func colourise(src image.Image) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := color.GrayModel.Convert(src.At(x, y)).(color.Gray).Y
			f := func(dark, light uint8) uint8 { return uint8((int(dark)*(255-int(v)) + int(light)*int(v)) / 255) }
			dst.SetRGBA(x, y, color.RGBA{R: f(10, 255), G: f(20, 250), B: f(120, 200), A: 255})
		}
	}
	return dst
}

// transparentBackground keeps the ink and makes the paper transparent
// black, as some screenshots and exports are: ocrad must see it as white.
func transparentBackground(src image.Image) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := color.GrayModel.Convert(src.At(x, y)).(color.Gray).Y
			dst.SetNRGBA(x, y, color.NRGBA{A: 255 - v})
		}
	}
	return dst
}
