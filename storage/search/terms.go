package search

import (
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
)

var textAnalyzer = sync.OnceValue(func() analysis.Analyzer {
	return bleve.NewIndexMapping().AnalyzerNamed(standard.Name)
})

// TextTerms returns the distinct terms of s as the index sees a task's
// recognised text (the text field's analyser: Unicode words, lower-cased,
// English stop words dropped; no diacritics folding), in order. A word of
// the text matches a history query exactly when they share a term, so the
// result viewer highlights what the search found (GET
// /tasks/{id}/matches).
func TextTerms(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, tok := range textAnalyzer().Analyze([]byte(s)) {
		w := string(tok.Term)
		if w == "" || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}
