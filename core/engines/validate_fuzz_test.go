package engines

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// FuzzValidate: an upload's engine, lang and outputs are either ones an
// installed engine announced or a 422 naming the problem.
func FuzzValidate(f *testing.F) {
	f.Add("tesseract", "eng", "txt")
	f.Add("tesseract", "eng+deu", "pdf")
	f.Add("tesseract", "eng++deu", "txt")
	f.Add("tesseract", "", "")
	f.Add("../tesseract", "eng\x00", "exe")
	f.Add("", "+", "hocr")
	info := &sdk.EngineInfo{Name: "tesseract", Languages: []string{"eng", "deu", "chi_sim"}, Outputs: []string{"txt", "hocr", "json", "pdf"}}
	p := &Pool{engines: map[string]*engine{"tesseract": {info: info}}}
	f.Fuzz(func(t *testing.T, name, lang, output string) {
		var outs []domain.FileKind
		if output != "" {
			outs = []domain.FileKind{domain.FileKind(output)}
		}
		err := p.Validate(context.Background(), name, lang, outs)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalid) || de.Code == "" {
				t.Fatalf("Validate(%q, %q, %q): %v, want a 422", name, lang, output, err)
			}
			return
		}
		if name != "tesseract" || (output != "" && !slices.Contains(info.Outputs, output)) {
			t.Fatalf("Validate(%q, %q, %q) accepted", name, lang, output)
		}
		for _, l := range strings.Split(lang, "+") {
			if !slices.Contains(info.Languages, l) {
				t.Fatalf("language %q of %q accepted", l, lang)
			}
		}
	})
}
