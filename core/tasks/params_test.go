package tasks_test

import (
	"context"
	"errors"
	"path"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

func TestDisplayName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "scan 2024.pdf", "scan 2024.pdf"},
		{"unix traversal", "../../etc/passwd", "passwd"},
		{"absolute path", "/home/ada/scan.png", "scan.png"},
		{"backslash", `a\b`, "b"},
		{"windows path", `C:\Users\Ada\..\scan.tif`, "scan.tif"},
		{"trailing slash", "folder/", "folder"},
		{"NUL", "in\x00voice.pdf", "invoice.pdf"},
		{"control characters", "a\tb\r\nc\x1b[31m\x7f\u0085.png", "abc[31m.png"},
		{"header injection", "x.pdf\r\nSet-Cookie: a=b", "x.pdfSet-Cookie: a=b"},
		{"quotes", `say "hi".png`, "say hi.png"},
		{"invalid UTF-8", "caf\xe9\xff.png", "caf.png"},
		{"multibyte kept", "Übersicht – 東京.pdf", "Übersicht – 東京.pdf"},
		{"surrounding spaces", "  scan.pdf  ", "scan.pdf"},
		{"empty", "", "upload"},
		{"only spaces", "   ", "upload"},
		{"dot", ".", "upload"},
		{"dotdot", "..", "upload"},
		{"slash", "/", "upload"},
		{"dotdot after controls", ".\x00.", "upload"},
		{"only controls", "\x00\x01\x02", "upload"},
		{"only quotes", `""`, "upload"},
		{"right-to-left override", "invoice\u202egnp.exe", "invoicegnp.exe"},
		{"zero-width", "in\u200bvoice\ufeff.pdf", "invoice.pdf"},
		{"only invisible", "\u202e\u200b", "upload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tasks.DisplayName(tt.in); got != tt.want {
				t.Errorf("DisplayName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDisplayNameCutsLongNamesAtRuneBoundaries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
	}{
		{"300 ASCII", strings.Repeat("a", 300)},
		{"300 two-byte runes", strings.Repeat("é", 300)},
		{"300 three-byte runes", strings.Repeat("東", 300)},
		{"300 four-byte runes", strings.Repeat("😀", 300)},
		{"odd offset", "x" + strings.Repeat("é", 300)},
		{"long name with a path", "dir/" + strings.Repeat("東", 300) + ".pdf"},
		{"long name with an extension", strings.Repeat("ü", 299) + ".tiff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tasks.DisplayName(tt.in)
			// At most 200 bytes, and no more than a rune's worth (plus a
			// kept extension's) below that.
			if len(got) > 200 || len(got) < 190 || !utf8.ValidString(got) {
				t.Errorf("kept %d bytes (valid UTF-8: %v), want 190–200", len(got), utf8.ValidString(got))
			}
			base := path.Base(tt.in)
			if stem := strings.TrimSuffix(got, path.Ext(base)); !strings.HasPrefix(base, stem) {
				t.Errorf("%q is not the start of the name (plus its extension)", got)
			}
		})
	}
	if name := strings.Repeat("a", 200); tasks.DisplayName(name) != name {
		t.Error("a name of exactly 200 bytes was cut")
	}
}

func TestParseParams(t *testing.T) {
	t.Parallel()
	f := newFixture(t, tasks.Options{DefaultEngine: "tesseract", DefaultLang: "eng",
		DefaultOutputs: []domain.FileKind{domain.KindTxt, domain.KindPDF}})
	tests := []struct {
		name                  string
		engine, lang, outputs string
		want                  tasks.Params
		wantCode              string // "" = no error
	}{
		{"all defaults", "", "", "", tasks.Params{Engine: "tesseract", Lang: "eng",
			Outputs: []domain.FileKind{domain.KindTxt, domain.KindPDF}}, ""},
		{"blank means default", "  ", " ", " ", tasks.Params{Engine: "tesseract", Lang: "eng",
			Outputs: []domain.FileKind{domain.KindTxt, domain.KindPDF}}, ""},
		{"explicit, trimmed", " tesseract ", " eng+deu ", "json", tasks.Params{Engine: "tesseract", Lang: "eng+deu",
			Outputs: []domain.FileKind{domain.KindJSON}}, ""},
		{"outputs normalised and deduplicated", "", "", " HOCR , txt,Txt ,hocr", tasks.Params{Engine: "tesseract", Lang: "eng",
			Outputs: []domain.FileKind{domain.KindHOCR, domain.KindTxt}}, ""},
		{"other engine", "textonly", "", "txt", tasks.Params{Engine: "textonly", Lang: "eng",
			Outputs: []domain.FileKind{domain.KindTxt}}, ""},
		{"unknown output", "", "", "txt,docx", tasks.Params{}, "invalid_output"},
		{"input is not an output", "", "", "input", tasks.Params{}, "invalid_output"},
		{"empty list item", "", "", "txt,,json", tasks.Params{}, "invalid_output"},
		{"unknown engine", "abbyy", "", "", tasks.Params{}, "unknown_engine"},
		{"unknown language", "", "eng+klingon", "", tasks.Params{}, "unsupported_language"},
		{"output the engine lacks", "textonly", "", "pdf", tasks.Params{}, "unsupported_output"},
		// The defaults are txt and pdf; textonly makes txt: it gets just that.
		{"defaults narrowed to the engine's", "textonly", "", "", tasks.Params{Engine: "textonly", Lang: "eng",
			Outputs: []domain.FileKind{domain.KindTxt}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := f.svc.ParseParams(context.Background(), tt.engine, tt.lang, tt.outputs)
			if tt.wantCode != "" {
				wantDomainError(t, err, domain.ErrInvalid, tt.wantCode)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Engine != tt.want.Engine || got.Lang != tt.want.Lang || !slices.Equal(got.Outputs, tt.want.Outputs) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// The defaults are copied into each Params, never shared with it.
func TestParseParamsDoesNotShareDefaults(t *testing.T) {
	t.Parallel()
	defaults := []domain.FileKind{domain.KindTxt, domain.KindJSON}
	f := newFixture(t, tasks.Options{DefaultEngine: "tesseract", DefaultLang: "eng", DefaultOutputs: defaults})
	p, err := f.svc.ParseParams(context.Background(), "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	p.Outputs[0] = domain.KindPDF
	if defaults[0] != domain.KindTxt {
		t.Fatal("changing a Params' outputs changed the service's defaults")
	}
}

func TestParseAutorotate(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{"", true, false},
		{"  ", true, false},
		{"true", true, false},
		{"1", true, false},
		{"false", false, false},
		{" 0 ", false, false},
		{"FALSE", false, false},
		{"sideways", false, true},
		{"yes", false, true},
	}
	for _, tc := range tests {
		got, err := tasks.ParseAutorotate(tc.in)
		if (err != nil) != tc.wantErr || (err == nil && got != tc.want) {
			t.Errorf("ParseAutorotate(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("ParseAutorotate(%q): %v is not a 422", tc.in, err)
		}
	}
}
