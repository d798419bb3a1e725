package tesseract

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/image/tiff"

	"github.com/ocrbox/ocrbox/plugins/conformance"
	"github.com/ocrbox/ocrbox/plugins/internal/enginetest"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// TestUprightPages feeds phototest turned by quarter turns (the corpus's
// own files) and skewed by a few degrees (made here with x/image, not the
// leptonica that corrects them) and wants each read about as well as the
// upright page: within 2 points of its word recall (issue 14 §1).
func TestUprightPages(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, nil)
	requireOSD(t, e)
	truth := string(enginetest.CorpusFile(t, "pages/phototest.txt"))
	upright := enginetest.CorpusFile(t, "pages/phototest.tif")
	src, err := tiff.Decode(bytes.NewReader(upright))
	if err != nil {
		t.Fatalf("decode phototest.tif: %v", err)
	}
	recognize := func(t *testing.T, img []byte, opts map[string]string) *sdk.RecognizeResponse {
		t.Helper()
		resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: img, Languages: []string{"eng"}, Options: opts})
		if err != nil {
			t.Fatalf("Recognize: %v", err)
		}
		return resp
	}
	base := recognize(t, upright, nil)
	baseRecall := wordRecall(truth, base.GetText())
	if base.GetOrientation() != 0 || base.GetSkew() != 0 {
		t.Errorf("upright page: orientation %d, skew %.1f; want 0, 0", base.GetOrientation(), base.GetSkew())
	}
	t.Logf("upright: recall %.3f", baseRecall)

	tests := []struct {
		name   string
		img    []byte
		orient int32
		skew   float32 // expected correction, ±1°
		wide   bool    // the corrected page is landscape like the original
	}{
		{name: "180", img: enginetest.CorpusFile(t, "pages/phototest-rotated-180.png"), orient: 180, wide: true},
		{name: "L", img: enginetest.CorpusFile(t, "pages/phototest-rotated-L.png"), orient: 270, wide: true},
		{name: "R", img: enginetest.CorpusFile(t, "pages/phototest-rotated-R.png"), orient: 90, wide: true},
		{name: "skew+3", img: rotatedPNG(t, src, 3), skew: -3},
		{name: "skew-7", img: rotatedPNG(t, src, -7), skew: 7},
		{name: "skew+7", img: rotatedPNG(t, src, 7), skew: -7},
		{name: "180+skew7", img: rotatedPNG(t, src, 187), orient: 180, skew: -7},
		{name: "bilevel-skew+7", img: bilevel(t, rotatedPNG(t, src, 7)), skew: -7},
		{name: "bilevel-skew-12", img: bilevel(t, rotatedPNG(t, src, -12)), skew: 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := wordRecall(truth, recognize(t, tt.img, map[string]string{OptionAutorotate: "false"}).GetText())
			resp := recognize(t, tt.img, nil)
			recall := wordRecall(truth, resp.GetText())
			t.Logf("recall %.3f (without autorotate %.3f); orientation %d (confidence %.1f), skew %.1f",
				recall, before, resp.GetOrientation(), resp.GetOrientationConfidence(), resp.GetSkew())
			if recall < baseRecall-0.02 {
				t.Errorf("recall %.3f, want within 2 points of upright's %.3f\n%s", recall, baseRecall, resp.GetText())
			}
			if resp.GetOrientation() != tt.orient {
				t.Errorf("orientation = %d, want %d", resp.GetOrientation(), tt.orient)
			}
			if d := math.Abs(float64(resp.GetSkew() - tt.skew)); d > 1 {
				t.Errorf("skew = %.1f, want %.1f ± 1", resp.GetSkew(), tt.skew)
			}
			if tt.wide && resp.GetWidth() <= resp.GetHeight() {
				t.Errorf("size %dx%d: the upright page is landscape", resp.GetWidth(), resp.GetHeight())
			}
			for _, w := range resp.GetWords() {
				if w.GetX1() > resp.GetWidth() || w.GetY1() > resp.GetHeight() {
					t.Errorf("word %q box %d,%d,%d,%d outside the %dx%d page", w.GetText(),
						w.GetX0(), w.GetY0(), w.GetX1(), w.GetY1(), resp.GetWidth(), resp.GetHeight())
				}
			}
		})
	}
}

// TestUprightDenserPage does the same with eurotext, a denser bilevel page
// on which OSD is far surer than on phototest (~27-32 against 7-11), turned
// and skewed at once.
func TestUprightDenserPage(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, nil)
	requireOSD(t, e)
	truth := string(enginetest.CorpusFile(t, "pages/eurotext.txt"))
	upright := enginetest.CorpusFile(t, "pages/eurotext.tif")
	src, err := tiff.Decode(bytes.NewReader(upright))
	if err != nil {
		t.Fatalf("decode eurotext.tif: %v", err)
	}
	recognize := func(img []byte) *sdk.RecognizeResponse {
		t.Helper()
		resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: img, Languages: []string{"eng"}})
		if err != nil {
			t.Fatalf("Recognize: %v", err)
		}
		return resp
	}
	base := wordRecall(truth, recognize(upright).GetText())
	for _, tc := range []struct {
		deg    float64
		orient int32
	}{{183, 180}, {93, 90}, {-87, 270}} {
		resp := recognize(bilevel(t, rotatedPNG(t, src, tc.deg)))
		recall := wordRecall(truth, resp.GetText())
		t.Logf("turned %.0f°: recall %.3f (upright %.3f), orientation %d (confidence %.1f), skew %.1f",
			tc.deg, recall, base, resp.GetOrientation(), resp.GetOrientationConfidence(), resp.GetSkew())
		if recall < base-0.02 || resp.GetOrientation() != tc.orient {
			t.Errorf("turned %.0f°: recall %.3f (upright %.3f), orientation %d (want %d)",
				tc.deg, recall, base, resp.GetOrientation(), tc.orient)
		}
	}
}

// TestOrientationGuess: OSD unsure of itself (margin under 7, as on small
// pages with little text) is tried on a page read badly, and its guess kept
// only when the turned page reads clearly better.
func TestOrientationGuess(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, nil)
	requireOSD(t, e)
	truth := string(enginetest.CorpusFile(t, "pages/phototest.txt"))
	img := enginetest.CorpusFile(t, "pages/phototest-rotated-180.png")
	for _, tc := range []struct {
		name       string
		deg        int
		conf       float32
		wantOrient int32
		wantRecall float64
	}{
		{"right guess kept", 180, 5, 180, 1},
		{"wrong guess dropped", 270, 5, 0, 0},
		{"too unsure to try", 180, 1, 0, 0},
	} {
		e.detect = func(*tessAPI) (int, float32, bool) { return tc.deg, tc.conf, true }
		resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: img})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		recall := wordRecall(truth, resp.GetText())
		if resp.GetOrientation() != tc.wantOrient || math.Abs(recall-tc.wantRecall) > 0.05 ||
			resp.GetOrientationConfidence() != tc.conf {
			t.Errorf("%s: orientation %d (confidence %.1f), recall %.3f; want %d, %.1f, %.3f", tc.name,
				resp.GetOrientation(), resp.GetOrientationConfidence(), recall, tc.wantOrient, tc.conf, tc.wantRecall)
		}
		if tc.wantOrient == 0 && (resp.GetWidth() != 640 || resp.GetHeight() != 480) {
			t.Errorf("%s: size %dx%d, want the page as it came, 640x480", tc.name, resp.GetWidth(), resp.GetHeight())
		}
	}
}

// TestAutorotateOption: the request option overrides the setting, and a
// bad value is refused as a permanent error.
func TestAutorotateOption(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, map[string]string{SettingAutorotate: "false"})
	requireOSD(t, e)
	img := enginetest.CorpusFile(t, "pages/phototest-rotated-180.png")
	for _, tc := range []struct {
		opt  string
		want int32
	}{{"", 0}, {"true", 180}, {"false", 0}} {
		opts := map[string]string{}
		if tc.opt != "" {
			opts[OptionAutorotate] = tc.opt
		}
		resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: img, Options: opts})
		if err != nil {
			t.Fatalf("autorotate=%q: %v", tc.opt, err)
		}
		if resp.GetOrientation() != tc.want {
			t.Errorf("autorotate=%q: orientation %d, want %d", tc.opt, resp.GetOrientation(), tc.want)
		}
	}
	_, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: img, Options: map[string]string{OptionAutorotate: "maybe"}})
	if err == nil || !strings.Contains(err.Error(), "autorotate") {
		t.Errorf("autorotate=maybe: err = %v, want it refused", err)
	}
	if err := CheckSettings(map[string]string{SettingAutorotate: "maybe"}); err == nil {
		t.Error("CheckSettings accepted autorotate=maybe")
	}
}

// TestUprightCost compares the CPU time of the upright corpus pages with and
// without autorotation (issue 14: at most 10 % more). It takes ~40 s of CPU
// and timings on a shared machine are noisy, so it runs only when asked:
// OCRBOX_MEASURE_COST=1 go test -run TestUprightCost -v ./plugins/tesseract/
func TestUprightCost(t *testing.T) {
	if os.Getenv("OCRBOX_MEASURE_COST") == "" {
		t.Skip("set OCRBOX_MEASURE_COST=1 to measure")
	}
	e := newTestEngine(t, nil)
	requireOSD(t, e)
	pages := []string{"pages/phototest.tif", "pages/eurotext.tif", "pages/8071_093.3B.tif", "pages/8087_054.3B.tif"}
	var imgs [][]byte
	for _, p := range pages {
		imgs = append(imgs, enginetest.CorpusFile(t, p))
	}
	run := func(autorotate string) time.Duration {
		var total time.Duration
		for _, img := range imgs {
			start := cpuTime()
			resp, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: img,
				Options: map[string]string{OptionAutorotate: autorotate}})
			if err != nil {
				t.Fatalf("Recognize: %v", err)
			}
			if autorotate == "true" && (resp.GetOrientation() != 0) {
				t.Errorf("an upright corpus page was turned by %d°", resp.GetOrientation())
			}
			total += cpuTime() - start
		}
		return total
	}
	run("false") // load the models
	run("true")
	var off, on time.Duration
	for range 2 {
		off += run("false")
		on += run("true")
	}
	ratio := float64(on) / float64(off)
	t.Logf("CPU on %d upright pages: %v without autorotate, %v with (%.1f %% more)", len(pages), off/2, on/2, (ratio-1)*100)
	if ratio > 1.10 {
		t.Errorf("autorotate costs %.1f %% more CPU on upright pages, want <= 10 %%", (ratio-1)*100)
	}
}

// requireOSD skips (or fails in CI) unless osd.traineddata is loadable.
func requireOSD(t *testing.T, e *Engine) {
	t.Helper()
	if err := e.lock(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer e.unlock()
	cfg, err := e.config()
	if err != nil {
		t.Fatal(err)
	}
	if e.osdModel(cfg) == nil {
		enginetest.RequireOrSkip(t, "no %s%s (Debian: tesseract-ocr-osd)", osdLanguage, traineddataSuffix)
	}
}

// wordRecall is conformance.WordRecall, the measure of issue 14's table.
func wordRecall(reference, hypothesis string) float64 {
	return conformance.WordRecall(reference, hypothesis)
}

// rotatedPNG turns src clockwise by deg degrees onto a white canvas just
// large enough to hold it (conformance.Turn), as a page fed askew into a
// scanner, as PNG.
func rotatedPNG(t *testing.T, src image.Image, deg float64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, conformance.Turn(src, deg)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bilevel thresholds a gray PNG to a 1-bit one, as a fax or a bilevel scan.
func bilevel(t *testing.T, grayPNG []byte) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(grayPNG))
	if err != nil {
		t.Fatal(err)
	}
	g := img.(*image.Gray)
	bw := image.NewPaletted(g.Bounds(), color.Palette{color.Black, color.White})
	for i, v := range g.Pix {
		if v >= 128 {
			bw.Pix[i] = 1
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, bw); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
