package downloads_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/downloads"
	"github.com/ocrbox/ocrbox/core/outputs"
	"github.com/ocrbox/ocrbox/storage/search"
)

func TestMatches(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	f.svc.SetAnalyzer(search.TextTerms)
	word := func(text string, x0, y0, x1, y1 int) outputs.Word {
		return outputs.Word{Text: text, BBox: [4]int{x0, y0, x1, y1}}
	}
	pages := map[int]outputs.Page{ // page 2 not recognised yet
		1: {Number: 1, Width: 640, Height: 480, Words: []outputs.Word{word("The", 10, 10, 40, 30), word("Quick,", 50, 10, 110, 30), word("brown", 120, 10, 180, 30)}},
		3: {Number: 3, Width: 1000, Height: 800, Words: []outputs.Word{word("QUICK", 5, 5, 60, 25), word("Größe", 70, 5, 130, 25)}},
	}
	for n, p := range pages {
		data, _ := json.Marshal(p)
		if err := f.tree.WriteFileAtomic(ctx, f.alice.ID, f.task.ID, outputs.PageJSONName(n), data); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.store.UpdateTask(ctx, f.alice.ID, f.task.ID, func(x *domain.Task) error { x.PagesTotal = 3; return nil }); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q         string
		wantTerms []string
		want      []downloads.PageMatches
		wantErr   error
	}{
		{q: "quick", wantTerms: []string{"quick"}, want: []downloads.PageMatches{
			{Page: 1, Width: 640, Height: 480, Boxes: []downloads.MatchBox{{X: 50, Y: 10, W: 60, H: 20, Word: "Quick,"}}},
			{Page: 3, Width: 1000, Height: 800, Boxes: []downloads.MatchBox{{X: 5, Y: 5, W: 55, H: 20, Word: "QUICK"}}}}},
		{q: "BROWN größe", wantTerms: []string{"brown", "größe"}, want: []downloads.PageMatches{
			{Page: 1, Width: 640, Height: 480, Boxes: []downloads.MatchBox{{X: 120, Y: 10, W: 60, H: 20, Word: "brown"}}},
			{Page: 3, Width: 1000, Height: 800, Boxes: []downloads.MatchBox{{X: 70, Y: 5, W: 60, H: 20, Word: "Größe"}}}}},
		{q: "zebra", wantTerms: []string{"zebra"}, want: []downloads.PageMatches{}},
		{q: "the", wantErr: domain.ErrInvalid}, // a stop word: the search ignores it too
		{q: "", wantErr: domain.ErrInvalid},
		{q: strings.Repeat("a", downloads.MaxMatchQuery+1), wantErr: domain.ErrInvalid},
	}
	for _, tc := range tests {
		got, err := f.svc.Matches(ctx, f.alice.ID, f.task.ID, tc.q)
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("q %.20q: error %v, want %v", tc.q, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("q %q: %v", tc.q, err)
		}
		if !reflect.DeepEqual(got.Terms, tc.wantTerms) || !reflect.DeepEqual(got.Pages, tc.want) || got.Truncated {
			t.Errorf("q %q: got %+v, want terms %v pages %+v", tc.q, got, tc.wantTerms, tc.want)
		}
	}
	if _, err := f.svc.Matches(ctx, f.bob.ID, f.task.ID, "quick"); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("bob: %v, want forbidden", err)
	}
}
