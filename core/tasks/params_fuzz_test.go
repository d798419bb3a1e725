package tasks_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

// FuzzParseParams: the upload fields engine, lang and outputs (query or
// form, each up to 1 KiB) become valid parameters for an installed engine
// or a 422, never a panic.
func FuzzParseParams(f *testing.F) {
	f.Add("", "", "")
	f.Add("tesseract", "eng+deu", "txt,hocr,json,pdf")
	f.Add(" textonly ", "eng", "TXT, txt ,txt")
	f.Add("tesseract", "eng+", "pdf,")
	f.Add("../../etc/passwd", "eng\x00", "txt;rm -rf /")
	f.Add("tesseract", strings.Repeat("eng+", 256), strings.Repeat(",", 512))
	f.Add("textonly", "eng", "pdf")
	f.Add("tesseract", "\u202eeng", "\u0000")
	svc := tasks.NewService(nil, nil, testEngines, nil, nil, nil, nil, nil, tasks.Options{
		DefaultEngine: "tesseract", DefaultLang: "eng", DefaultOutputs: []domain.FileKind{domain.KindTxt, domain.KindPDF}})
	f.Fuzz(func(t *testing.T, engine, lang, outputs string) {
		p, err := svc.ParseParams(context.Background(), engine, lang, outputs)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalid) || de.Code == "" {
				t.Fatalf("ParseParams(%q, %q, %q): %v (%T), want a 422", engine, lang, outputs, err, err)
			}
			return
		}
		info, ok := testEngines[p.Engine]
		if !ok || len(p.Outputs) == 0 {
			t.Fatalf("accepted %+v", p)
		}
		langs := strings.Split(p.Lang, "+")
		if len(langs) > tasks.MaxLanguages {
			t.Fatalf("accepted %d languages", len(langs))
		}
		for i, l := range langs {
			if !slices.Contains(info.langs, l) || slices.Contains(langs[:i], l) {
				t.Fatalf("accepted language %q of %+v", l, p)
			}
		}
		for i, o := range p.Outputs {
			if !slices.Contains(domain.OutputKinds, o) || !slices.Contains(info.outputs, string(o)) || slices.Contains(p.Outputs[:i], o) {
				t.Fatalf("accepted outputs %v", p.Outputs)
			}
		}
	})
}
