package pdfium

import (
	"context"
	"testing"
)

// BenchmarkText extracts the born-digital page's words: the path where
// go-pdfium's Go glue runs once per character (docs/release.md weighs
// building go-pdfium without inlining against this).
func BenchmarkText(b *testing.B) {
	d, err := engine.Open("testdata/born-digital.pdf")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for b.Loop() {
		if _, err := d.Text(0, 300); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderGray rasterises the born-digital page at 300 dpi.
func BenchmarkRenderGray(b *testing.B) {
	d, err := engine.Open("testdata/born-digital.pdf")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for b.Loop() {
		if _, err := d.RenderGray(0, 300, 1e8); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompile starts an engine with an empty cache: wazero compiles
// the whole module, as the first page helper of a fresh data dir does.
func BenchmarkCompile(b *testing.B) {
	for b.Loop() {
		e, err := Start(context.Background(), Options{CacheDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		e.Close()
	}
}
