package outputs

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

func TestFromResponse(t *testing.T) {
	t.Parallel()
	r := &sdk.RecognizeResponse{
		Text: "Hello world\n", Hocr: "<div class='ocr_page'></div>", Width: 640, Height: 480,
		MeanConfidence: 91.12345, Pdf: []byte("%PDF-1.5"), Orientation: 180, OrientationConfidence: 11.04, Skew: -6.9,
		Words: []*sdk.Word{
			{Text: "Hello", X0: 10, Y0: 20, X1: 60, Y1: 40, Confidence: 96.12, Block: 1, Paragraph: 1, Line: 1},
			{Text: "world", X0: 70, Y0: 20, X1: 130, Y1: 40, Confidence: -1, Block: 1, Paragraph: 1, Line: 1},
		},
	}
	got := FromResponse(3, 300, r)
	want := Page{Number: 3, Width: 640, Height: 480, DPI: 300, Text: "Hello world\n",
		HOCR: "<div class='ocr_page'></div>", MeanConfidence: 91.12,
		Orientation: Orientation{Degrees: 180, Confidence: 11.04}, Skew: -6.9,
		Words: []Word{
			{Text: "Hello", BBox: [4]int{10, 20, 60, 40}, Confidence: 96.12, Block: 1, Paragraph: 1, Line: 1},
			{Text: "world", BBox: [4]int{70, 20, 130, 40}, Confidence: -1, Block: 1, Paragraph: 1, Line: 1},
		}}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if !bytes.Equal(gj, wj) {
		t.Fatalf("FromResponse:\n got %s\nwant %s", gj, wj)
	}
	if p := FromResponse(2, 0, nil); p.Number != 2 || p.Words == nil {
		t.Errorf("FromResponse(nil) = %+v, want page 2 with empty words", p)
	}
}

// TestPageJSON pins the stored page format: the worker writes it and a
// later release reads it back.
func TestPageJSON(t *testing.T) {
	t.Parallel()
	p := Page{Number: 1, Width: 2, Height: 3, DPI: 4, Text: "t", HOCR: "h", MeanConfidence: 5,
		Orientation: Orientation{Degrees: 90, Confidence: 9.5}, Skew: 1.5,
		Words: []Word{{Text: "w", BBox: [4]int{1, 2, 3, 4}, Confidence: 6, Block: 7, Paragraph: 8, Line: 9}}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"number":1,"width":2,"height":3,"dpi":4,"text":"t","hocr":"h","words":[{"text":"w","bbox":[1,2,3,4],"confidence":6,"block":7,"paragraph":8,"line":9}],"mean_confidence":5,"orientation":{"degrees":90,"confidence":9.5},"skew":1.5}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	var back Page
	if err := json.Unmarshal(b, &back); err != nil || back.Words[0] != p.Words[0] || back.HOCR != "h" || back.Orientation != p.Orientation {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
}

func TestWriteText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		texts []string
		want  string
	}{
		{"one page", []string{"Hello\nworld\n\n"}, "Hello\nworld\n"},
		{"no trailing newline", []string{"Hello"}, "Hello\n"},
		{"pages separated by form feed", []string{"one\n\n", "two\n"}, "one\n\ftwo\n"},
		{"empty page keeps its place", []string{"one", "  \n", "three"}, "one\n\f\fthree\n"},
		{"engine form feed not doubled", []string{"one\n\f", "two"}, "one\n\ftwo\n"},
		{"no pages", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var pages []Page
			for i, s := range tc.texts {
				pages = append(pages, Page{Number: i + 1, Text: s})
			}
			var buf bytes.Buffer
			if err := WriteText(&buf, pages); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Fatalf("got %q, want %q", buf.String(), tc.want)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	m := Meta{TaskID: "t1", Filename: "scan <1>.pdf", Engine: "tesseract 5.3.0", Lang: "eng",
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	pages := []Page{
		{Number: 1, Width: 10, Height: 20, DPI: 300, Text: "a & <b>", HOCR: "not in json", MeanConfidence: 90.5,
			Orientation: Orientation{Degrees: 270, Confidence: 9.6}, Skew: -3,
			Words: []Word{{Text: "a", BBox: [4]int{1, 2, 3, 4}, Confidence: 90.5, Block: 1, Paragraph: 1, Line: 1}}},
		{Number: 2, Width: 10, Height: 20, DPI: 300},
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, pages, m); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "not in json") || !strings.Contains(buf.String(), `"a & <b>"`) {
		t.Errorf("hOCR leaked or text HTML-escaped: %s", buf.String())
	}
	var got struct {
		TaskID    string    `json:"task_id"`
		Filename  string    `json:"filename"`
		Engine    string    `json:"engine"`
		Lang      string    `json:"lang"`
		CreatedAt time.Time `json:"created_at"`
		Pages     []map[string]json.RawMessage
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("output is not the documented JSON: %v", err)
	}
	if got.TaskID != "t1" || got.Filename != m.Filename || got.Engine != m.Engine || got.Lang != "eng" || !got.CreatedAt.Equal(m.CreatedAt) {
		t.Errorf("header = %+v", got)
	}
	if len(got.Pages) != 2 {
		t.Fatalf("%d pages, want 2", len(got.Pages))
	}
	for _, key := range []string{"number", "width", "height", "dpi", "text", "mean_confidence", "orientation", "skew", "words"} {
		if _, ok := got.Pages[0][key]; !ok {
			t.Errorf("page lacks %q", key)
		}
	}
	if w := string(got.Pages[0]["words"]); w != `[{"text":"a","bbox":[1,2,3,4],"confidence":90.5,"block":1,"paragraph":1,"line":1}]` {
		t.Errorf("words = %s", w)
	}
	if o, sk := string(got.Pages[0]["orientation"]), string(got.Pages[0]["skew"]); o != `{"degrees":270,"confidence":9.6}` || sk != "-3" {
		t.Errorf("orientation = %s, skew = %s", o, sk)
	}
	if o := string(got.Pages[1]["orientation"]); o != `{"degrees":0,"confidence":0}` {
		t.Errorf("page not turned: orientation = %s", o)
	}
	if w := string(got.Pages[1]["words"]); w != "[]" {
		t.Errorf("page without words: %s, want []", w)
	}
}
