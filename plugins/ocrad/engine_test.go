package ocrad

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// TestInfo checks that Info claims only what the engine does.
func TestInfo(t *testing.T) {
	t.Parallel()
	info, err := New(nil).Info(t.Context())
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.GetName() != "ocrad" {
		t.Errorf("name = %q, want ocrad", info.GetName())
	}
	if !strings.HasPrefix(info.GetVersion(), "0.") {
		t.Errorf("version = %q, want 0.x from OCRAD_version", info.GetVersion())
	}
	// The host's default upload language must be accepted.
	for _, l := range []string{"eng", "deu", "fra", "spa"} {
		if !slices.Contains(info.GetLanguages(), l) {
			t.Errorf("languages %v lack %q", info.GetLanguages(), l)
		}
	}
	// No Latin-1 text, no claim.
	for _, l := range []string{"rus", "ell", "chi_sim", "pol", "ces", "osd"} {
		if slices.Contains(info.GetLanguages(), l) {
			t.Errorf("languages %v include %q, which is not written in Latin-1", info.GetLanguages(), l)
		}
	}
	if !slices.IsSorted(info.GetLanguages()) {
		t.Errorf("languages %v are not sorted", info.GetLanguages())
	}
	// No boxes means no hOCR; no renderer means no PDF.
	if want := []string{"txt", "json"}; !slices.Equal(info.GetOutputs(), want) {
		t.Errorf("outputs = %v, want %v", info.GetOutputs(), want)
	}
	if info.GetSupportsConfidence() {
		t.Error("supports_confidence = true, but ocrad computes none")
	}
	for _, typ := range []string{"image/png", "image/jpeg", "image/tiff", "image/bmp", "image/x-portable-anymap"} {
		if !slices.Contains(info.GetImageTypes(), typ) {
			t.Errorf("image types %v lack %s", info.GetImageTypes(), typ)
		}
	}
	// Info hands out a copy: a caller cannot change the next answer.
	info.Languages[0] = "xxx"
	again, _ := New(nil).Info(t.Context())
	if again.GetLanguages()[0] == "xxx" {
		t.Error("Info shares its language list")
	}
}

func TestConfigure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		settings map[string]string
		want     config
		wantErr  string // substring; "" means success
	}{
		{"defaults", nil, config{layout: true, threshold: autoThreshold}, ""},
		{"layout off", map[string]string{"layout": "false"}, config{layout: false, threshold: autoThreshold}, ""},
		{"layout 1", map[string]string{"layout": " 1 "}, config{layout: true, threshold: autoThreshold}, ""},
		{"threshold", map[string]string{"threshold": "128"}, config{layout: true, threshold: 128}, ""},
		{"threshold bounds", map[string]string{"threshold": "0"}, config{layout: true, threshold: 0}, ""},
		{"threshold auto", map[string]string{"threshold": "AUTO"}, config{layout: true, threshold: autoThreshold}, ""},
		{"unknown key", map[string]string{"colour": "blue"}, config{}, `unknown setting "colour" (known: layout, threshold)`},
		{"typo", map[string]string{"treshold": "100"}, config{}, `unknown setting "treshold" (did you mean "threshold"?)`},
		{"threshold empty is auto", map[string]string{"threshold": " "}, config{layout: true, threshold: autoThreshold}, ""},
		{"layout not a bool", map[string]string{"layout": "columns"}, config{}, "layout"},
		{"threshold too big", map[string]string{"threshold": "256"}, config{}, "threshold"},
		{"threshold negative", map[string]string{"threshold": "-1"}, config{}, "threshold"},
		{"threshold not a number", map[string]string{"threshold": "half"}, config{}, "threshold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := New(nil)
			err := e.Configure(t.Context(), tt.settings)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Configure: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Configure succeeded, want an error naming %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Configure error %q does not name %q", err, tt.wantErr)
			case tt.wantErr != "":
				if got := e.config(); got != defaultConfig() {
					t.Errorf("a refused configuration changed the settings to %+v", got)
				}
			default:
				if got := e.config(); got != tt.want {
					t.Errorf("config = %+v, want %+v", got, tt.want)
				}
			}
		})
	}
}

func TestCheckLanguages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		langs []string
		ok    bool
	}{
		{nil, true},
		{[]string{""}, false},
		{[]string{"eng"}, true},
		{[]string{"eng", "deu"}, true},
		{[]string{"eng+fra+ita"}, true},
		{[]string{"rus"}, false},
		{[]string{"eng+rus"}, false},
		{[]string{"eng", ""}, false},
		{[]string{"eng+"}, false},
		{[]string{"../eng"}, false},
		{[]string{"ENG"}, false},
	}
	for _, tt := range tests {
		err := checkLanguages(tt.langs)
		switch {
		case tt.ok && err != nil:
			t.Errorf("checkLanguages(%q) = %v, want nil", tt.langs, err)
		case !tt.ok && !errors.Is(err, sdk.ErrUnsupported):
			t.Errorf("checkLanguages(%q) = %v, want ErrUnsupported", tt.langs, err)
		case !tt.ok && !strings.Contains(err.Error(), "Latin-1"):
			t.Errorf("checkLanguages(%q) = %q, want it to say ocrad reads Latin-1", tt.langs, err)
		}
	}
}

// TestPageText checks the layout of the text and the Latin-1 to UTF-8
// conversion on bytes as ocrad returns them.
func TestPageText(t *testing.T) {
	t.Parallel()
	b := func(s string) []byte { return []byte(s) }
	tests := []struct {
		name   string
		blocks [][][]byte
		want   string
	}{
		{"nothing", nil, ""},
		{"empty blocks and lines", [][][]byte{{}, {b("\n"), b("  \n")}}, ""},
		{"one block", [][][]byte{{b("first line\n"), b("second line \n")}}, "first line\nsecond line\n"},
		{"blocks are paragraphs", [][][]byte{{b("a\n")}, {}, {b("b\n"), b("c\n")}}, "a\n\nb\nc\n"},
		{"latin-1", [][][]byte{{{0xfc, 'b', 'e', 'r', ' ', 'S', 't', 'r', 'a', 0xdf, 'e', ' ', 0xc7, 'a', ' ', 0xff}}}, "über Straße Ça ÿ\n"},
		{"C1 controls are not text", [][][]byte{{{'a', 0x85, 'b', 0x9f}}}, "a\uFFFDb\uFFFD\n"},
		{"nbsp kept", [][][]byte{{{'a', 0xa0, 'b'}}}, "a\u00a0b\n"},
	}
	for _, tt := range tests {
		if got := pageText(tt.blocks); got != tt.want {
			t.Errorf("%s: pageText = %q, want %q", tt.name, got, tt.want)
		}
	}
}
