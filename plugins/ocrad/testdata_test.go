package ocrad

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"log/slog"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/ocrbox/ocrbox/plugins/conformance"
)

// newTestEngine returns a configured engine that logs warnings to the test.
func newTestEngine(t testing.TB, settings map[string]string) *Engine {
	t.Helper()
	e := New(slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err := e.Configure(t.Context(), settings); err != nil {
		t.Fatalf("configure ocrad: %v", err)
	}
	return e
}

// renderPage draws lines of text in Go Mono, 12 pt at 300 dpi (a
// typical scan's text height), black on a white page with a margin, and
// returns the page as PNG.
func renderPage(t testing.TB, lines ...string) []byte {
	t.Helper()
	f, err := opentype.Parse(gomono.TTF)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 12, DPI: 300, Hinting: font.HintingFull})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	const margin = 100
	lineHeight := face.Metrics().Height.Ceil() * 3 / 2
	width := 0
	for _, l := range lines {
		width = max(width, font.MeasureString(face, l).Ceil())
	}
	img := image.NewGray(image.Rect(0, 0, width+2*margin, len(lines)*lineHeight+2*margin))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: img, Src: image.Black, Face: face}
	for i, l := range lines {
		d.Dot = fixed.P(margin, margin+i*lineHeight+face.Metrics().Ascent.Ceil())
		d.DrawString(l)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cer is the character error rate of got against want (conformance.CER).
func cer(got, want string) float64 { return conformance.CER(want, got) }
