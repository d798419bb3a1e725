package ocrad

import (
	"os"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/plugins/tesseract"

	"github.com/ocrbox/ocrbox/test/testenv"
)

// BenchmarkCorpus compares ocrad with tesseract on every page of the shared
// corpus that has ground truth, through each engine package directly (no
// gRPC, no host): one warm page per op, reporting pages/s and the character
// error rate. Tesseract must run single-threaded, as ocrbox runs it:
//
//	OMP_THREAD_LIMIT=1 go test -run '^$' -bench Corpus -benchtime 5x ./plugins/ocrad/
func BenchmarkCorpus(b *testing.B) {
	if os.Getenv("OMP_THREAD_LIMIT") != "1" {
		b.Log("OMP_THREAD_LIMIT is not 1: tesseract's figures will not be ocrbox's")
	}
	pages := []string{"phototest", "eurotext", "8071_093.3B", "8087_054.3B"}
	tess := tesseract.New(nil)
	if err := tess.Configure(b.Context(), nil); err != nil {
		testenv.RequireOrSkip(b, "configure tesseract: %v", err)
	}
	b.Cleanup(func() { _ = tess.Close() })
	engines := []struct {
		name string
		eng  sdk.OCREngine
	}{
		{"ocrad", newTestEngine(b, nil)},
		{"tesseract", tess},
	}
	for _, page := range pages {
		img := testenv.CorpusFile(b, "pages/"+page+".tif")
		truth := string(testenv.CorpusFile(b, "pages/"+page+".txt"))
		for _, e := range engines {
			b.Run(e.name+"/"+page, func(b *testing.B) {
				req := &sdk.RecognizeRequest{Image: img, ContentType: "image/tiff", Languages: []string{"eng"}}
				// Warm-up: tesseract loads its model on the first page.
				resp, err := e.eng.Recognize(b.Context(), req)
				if err != nil {
					b.Fatalf("Recognize: %v", err)
				}
				for b.Loop() {
					if resp, err = e.eng.Recognize(b.Context(), req); err != nil {
						b.Fatalf("Recognize: %v", err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
				b.ReportMetric(100*cer(resp.GetText(), truth), "CER%")
			})
		}
	}
}
