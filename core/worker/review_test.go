package worker

import (
	"reflect"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/outputs"
)

func TestReviewOf(t *testing.T) {
	word := []outputs.Word{{Text: "x"}}
	page := func(n int, conf float64) outputs.Page {
		return outputs.Page{Number: n, MeanConfidence: conf, Words: word}
	}
	tests := []struct {
		name      string
		pages     []outputs.Page
		threshold float64
		want      *domain.Review
	}{
		{"all good", []outputs.Page{page(1, 91), page(2, 60)}, 60, nil},
		{"one low", []outputs.Page{page(1, 91), page(2, 41.4)}, 60,
			&domain.Review{Reason: "page 2: mean confidence 41 % (below 60 %)", Threshold: 60,
				Pages: []domain.ReviewPage{{Page: 2, MeanConfidence: 41.4}}}},
		{"off", []outputs.Page{page(1, 10)}, 0, nil},
		{"blank, pdf text and no confidence not judged", []outputs.Page{
			{Number: 1, Words: []outputs.Word{}}, {Number: 2, Source: outputs.SourcePDFText, Words: word},
			page(3, -1)}, 60, nil},
		{"many low", []outputs.Page{page(1, 1), page(2, 2), page(3, 3), page(4, 4), page(5, 5), page(6, 6), page(7, 90)}, 50,
			&domain.Review{Reason: "6 pages with a mean confidence below 50 %: 1 (1 %), 2 (2 %), 3 (3 %), 4 (4 %), 5 (5 %), and 1 more",
				Threshold: 50, Pages: lowPages(1, 2, 3, 4, 5, 6)}},
	}
	for _, tc := range tests {
		if got := reviewOf(tc.pages, tc.threshold); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: reviewOf = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// lowPages lists pages whose mean confidence equals their number.
func lowPages(ns ...int) []domain.ReviewPage {
	var out []domain.ReviewPage
	for _, n := range ns {
		out = append(out, domain.ReviewPage{Page: n, MeanConfidence: float64(n)})
	}
	return out
}
