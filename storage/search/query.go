package search

import (
	"context"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Sort orders accepted by Query.Sort.
const (
	SortCreatedAt = domain.SortCreatedAt
	SortFilename  = domain.SortFilename
	SortStatus    = domain.SortStatus
	SortDuration  = domain.SortDuration
	SortPages     = domain.SortPages
)

// MaxQueryBytes is the longest Query.Q accepted.
const MaxQueryBytes = domain.MaxSearchBytes

// maxQueryTerms is how many words of Q are used.
const maxQueryTerms = 32

// Query selects and orders one user's tasks (see domain.SearchQuery).
type Query = domain.SearchQuery

// Search returns one page of userID's tasks matching q, as task ids in
// order, and the exact number of matches.
func (ix *Index) Search(ctx context.Context, userID string, q Query) (ids []string, total int, err error) {
	// Validate bounds Offset + Limit by domain.MaxListItems: bleve sizes
	// its collector from From + Size, which a huge offset overflows
	// (makeslice: cap out of range, issue 11).
	if err := q.Validate(); err != nil {
		return nil, 0, err
	}
	if userID == "" {
		return nil, 0, fmt.Errorf("search: no user id: %w", domain.ErrInvalid)
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.idx == nil {
		return nil, 0, errClosed
	}
	bq, err := ix.buildQuery(userID, q)
	if err != nil {
		return nil, 0, err
	}
	size := q.Limit
	if size == 0 {
		size = 20
	}
	req := bleve.NewSearchRequestOptions(bq, size, q.Offset, false)
	req.SortByCustom(sortOrder(q.Sort, q.Desc))
	req.Score = "none"
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, 0, fmt.Errorf("search: %w", err)
	}
	ids = make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids, int(res.Total), nil
}

// Scan calls fn with every match of q (Offset and Limit ignored), in q's
// order, chunk ids at a time. It pages with search_after, so memory stays
// bounded by chunk whatever the number of matches.
func (ix *Index) Scan(ctx context.Context, userID string, q Query, chunk int, fn func(ids []string) error) error {
	if err := q.Validate(); err != nil {
		return err
	}
	if userID == "" {
		return fmt.Errorf("scan: no user id: %w", domain.ErrInvalid)
	}
	if chunk <= 0 {
		chunk = 1000
	}
	var after []string
	ids := make([]string, 0, chunk)
	for {
		page, last, err := ix.scanPage(ctx, userID, q, chunk, after, ids[:0])
		if err != nil {
			return err
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
		if len(page) < chunk {
			return nil
		}
		after = last
	}
}

func (ix *Index) scanPage(ctx context.Context, userID string, q Query, chunk int, after []string, ids []string) ([]string, []string, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.idx == nil {
		return nil, nil, errClosed
	}
	bq, err := ix.buildQuery(userID, q)
	if err != nil {
		return nil, nil, err
	}
	req := bleve.NewSearchRequestOptions(bq, chunk, 0, false)
	req.SortByCustom(sortOrder(q.Sort, q.Desc))
	req.Score = "none"
	req.SearchAfter = after
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, nil, fmt.Errorf("scan: %w", err)
	}
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	var last []string
	if n := len(res.Hits); n > 0 {
		last = res.Hits[n-1].Sort
	}
	return ids, last, nil
}

// sortOrder is the bleve sort for one of the Sort* names, with the task id
// (time-ordered) as the tie-break.
func sortOrder(by string, desc bool) search.SortOrder {
	field := fieldCreatedAt
	switch by {
	case SortFilename:
		field = fieldFilenameSort
	case SortStatus:
		field = fieldStatus
	case SortDuration:
		field = fieldDurationMS
	case SortPages:
		field = fieldPages
	}
	return search.SortOrder{
		&search.SortField{Field: field, Desc: desc, Missing: search.SortFieldMissingLast},
		&search.SortDocID{Desc: desc},
	}
}

// buildQuery is the one place a bleve query is made from user input: only
// query objects, always AND-ed with the user id.
func (ix *Index) buildQuery(userID string, q Query) (query.Query, error) {
	user := bleve.NewTermQuery(userID)
	user.SetField(fieldUserID)
	parts := []query.Query{user}
	if q.Status != "" {
		st := bleve.NewTermQuery(string(q.Status))
		st.SetField(fieldStatus)
		parts = append(parts, st)
	}
	// Dates are indexed as Unix nanoseconds: a bound outside what those
	// can hold is open (or matches nothing), never an overflow.
	minT, maxT := time.Unix(0, 0), time.Unix(0, math.MaxInt64)
	from, to := q.From, q.To
	if from.Before(minT) {
		from = time.Time{}
	}
	if to.After(maxT) {
		to = time.Time{}
	}
	if from.After(maxT) || (!to.IsZero() && to.Before(minT)) {
		return bleve.NewMatchNoneQuery(), nil
	}
	if !from.IsZero() || !to.IsZero() {
		yes := true
		dr := bleve.NewDateRangeInclusiveQuery(from.UTC(), to.UTC(), &yes, &yes)
		dr.SetField(fieldCreatedAt)
		parts = append(parts, dr)
	}
	if q.Q != "" {
		tq, err := ix.textQuery(q.Q)
		if err != nil {
			return nil, err
		}
		parts = append(parts, tq)
	}
	return bleve.NewConjunctionQuery(parts...), nil
}

// textQuery matches filenames whose words start with every word of s, or
// text containing every word of s. Words come from the same analysers as
// at index time; s is never parsed as query syntax.
func (ix *Index) textQuery(s string) (query.Query, error) {
	words, err := ix.analyze(analyzerFilename, s)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return bleve.NewMatchNoneQuery(), nil
	}
	if len(words) > maxQueryTerms {
		words = words[:maxQueryTerms]
	}
	var name []query.Query
	for _, w := range words {
		var tq *query.TermQuery
		if utf8.RuneCountInString(w) <= maxPrefixRunes {
			tq = bleve.NewTermQuery(w) // an edge n-gram: "starts with w"
			tq.SetField(fieldFilenamePrefix)
		} else {
			tq = bleve.NewTermQuery(w) // longer than any indexed prefix: whole word
			tq.SetField(fieldFilename)
		}
		name = append(name, tq)
	}
	textWords, err := ix.analyze(standardAnalyzer, s)
	if err != nil {
		return nil, err
	}
	alts := []query.Query{bleve.NewConjunctionQuery(name...)}
	if len(textWords) > 0 {
		if len(textWords) > maxQueryTerms {
			textWords = textWords[:maxQueryTerms]
		}
		var text []query.Query
		for _, w := range textWords {
			tq := bleve.NewTermQuery(w)
			tq.SetField(fieldText)
			text = append(text, tq)
		}
		alts = append(alts, bleve.NewConjunctionQuery(text...))
	}
	return bleve.NewDisjunctionQuery(alts...), nil
}

const standardAnalyzer = "standard"

// analyze runs one of the mapping's analysers over s and returns the
// distinct terms in order.
func (ix *Index) analyze(analyzer, s string) ([]string, error) {
	m := ix.idx.Mapping()
	a := m.AnalyzerNamed(analyzer)
	if a == nil {
		return nil, fmt.Errorf("analyser %s missing from the index mapping", analyzer)
	}
	seen := map[string]bool{}
	var out []string
	for _, tok := range a.Analyze([]byte(s)) {
		w := string(tok.Term)
		if w == "" || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out, nil
}
