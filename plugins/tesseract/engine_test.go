package tesseract

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"

	"github.com/ocrbox/ocrbox/plugins/internal/enginetest"
)

func TestInfo(t *testing.T) {
	t.Parallel()
	e := newTestEngine(t, nil)
	info, err := e.Info(t.Context())
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.GetName() != "tesseract" {
		t.Errorf("name = %q, want tesseract", info.GetName())
	}
	if !strings.HasPrefix(info.GetVersion(), "5.") {
		t.Errorf("version = %q, want 5.x", info.GetVersion())
	}
	for _, l := range []string{"eng", "deu"} {
		if !slices.Contains(info.GetLanguages(), l) {
			t.Errorf("languages %v lack %q", info.GetLanguages(), l)
		}
	}
	if slices.Contains(info.GetLanguages(), "osd") {
		t.Errorf("languages %v include osd, which cannot recognise text", info.GetLanguages())
	}
	if want := []string{"txt", "hocr", "json", "pdf"}; !slices.Equal(info.GetOutputs(), want) {
		t.Errorf("outputs = %v, want %v", info.GetOutputs(), want)
	}
	for _, typ := range []string{"image/png", "image/jpeg", "image/tiff", "image/bmp", "image/webp", "image/x-portable-anymap"} {
		if !slices.Contains(info.GetImageTypes(), typ) {
			t.Errorf("image types %v lack %s", info.GetImageTypes(), typ)
		}
	}
	if !info.GetSupportsConfidence() {
		t.Error("supports_confidence = false")
	}
}

func TestConfigure(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	onlyOSD := t.TempDir()
	if err := os.WriteFile(filepath.Join(onlyOSD, "osd.traineddata"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		settings map[string]string
		wantErr  string // substring; "" means success
	}{
		{"defaults", nil, ""},
		{"all set", map[string]string{"tessdata_dir": debianTessdataDir, "psm": "6", "max_cached_models": "1"}, ""},
		{"unknown key", map[string]string{"colour": "blue"}, `unknown setting "colour"`},
		{"typo", map[string]string{"psmm": "6"}, `unknown setting "psmm" (did you mean "psm"?)`},
		{"psm not a number", map[string]string{"psm": "auto"}, "psm"},
		{"psm out of range", map[string]string{"psm": "14"}, "psm"},
		{"psm negative", map[string]string{"psm": "-1"}, "psm"},
		{"psm osd only", map[string]string{"psm": "0"}, "psm"},
		{"psm layout only", map[string]string{"psm": "2"}, "psm"},
		{"cache zero", map[string]string{"max_cached_models": "0"}, "max_cached_models"},
		{"cache not a number", map[string]string{"max_cached_models": "two"}, "max_cached_models"},
		{"tessdata missing", map[string]string{"tessdata_dir": filepath.Join(empty, "nope")}, "tessdata_dir"},
		{"tessdata empty", map[string]string{"tessdata_dir": empty}, "tessdata_dir"},
		{"tessdata only osd", map[string]string{"tessdata_dir": onlyOSD}, "tessdata_dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := New(nil).Configure(t.Context(), tt.settings)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Configure: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Configure succeeded, want an error naming %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Configure error %q does not name %q", err, tt.wantErr)
			}
		})
	}
}

// TestModelCache checks that models stay loaded between pages and that the
// least recently used one is unloaded when the cache is full.
func TestModelCache(t *testing.T) {
	t.Parallel()
	page := enginetest.CorpusFile(t, "pages/phototest.tif")
	tests := []struct {
		name      string
		maxModels string
		langs     [][]string // one page per entry
		loads     int
		cached    []string // least recently used first
	}{
		{"same language is loaded once", "2", [][]string{{"eng"}, {"eng"}, {"eng"}}, 1, []string{"eng"}},
		{"no languages means eng", "2", [][]string{nil, {"eng"}}, 1, []string{"eng"}},
		{"combination is its own model", "2", [][]string{{"eng"}, {"eng", "deu"}, {"eng"}, {"eng", "deu"}}, 2, []string{"eng", "eng+deu"}},
		{"duplicates collapse", "2", [][]string{{"eng", "eng"}, {"eng"}}, 1, []string{"eng"}},
		{"least recently used is evicted", "2", [][]string{{"eng"}, {"deu"}, {"eng"}, {"eng", "deu"}, {"eng"}}, 3, []string{"eng+deu", "eng"}},
		{"capacity one reloads", "1", [][]string{{"eng"}, {"deu"}, {"eng"}}, 3, []string{"eng"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEngine(t, map[string]string{"max_cached_models": tt.maxModels})
			requireLanguages(t, e, "eng", "deu")
			for _, langs := range tt.langs {
				if _, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: page, Languages: langs}); err != nil {
					t.Fatalf("Recognize %v: %v", langs, err)
				}
			}
			if e.loads != tt.loads {
				t.Errorf("models loaded %d times, want %d", e.loads, tt.loads)
			}
			if got := e.models.langs(); !slices.Equal(got, tt.cached) {
				t.Errorf("cached models = %v, want %v", got, tt.cached)
			}
		})
	}
}

// TestConfigureResizesCache checks that shrinking max_cached_models unloads
// models at once instead of waiting for the next page.
func TestConfigureResizesCache(t *testing.T) {
	t.Parallel()
	page := enginetest.CorpusFile(t, "pages/phototest.tif")
	e := newTestEngine(t, map[string]string{"max_cached_models": "3"})
	requireLanguages(t, e, "eng", "deu")
	for _, lang := range []string{"deu", "eng"} {
		if _, err := e.Recognize(t.Context(), &sdk.RecognizeRequest{Image: page, Languages: []string{lang}}); err != nil {
			t.Fatalf("Recognize %s: %v", lang, err)
		}
	}
	if err := e.Configure(t.Context(), map[string]string{"max_cached_models": "1"}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if got := e.models.langs(); !slices.Equal(got, []string{"eng"}) {
		t.Errorf("cached models = %v, want [eng]", got)
	}
}
