package downloads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/outputs"
)

// MaxMatchQuery bounds the q of Matches, in characters.
const MaxMatchQuery = 500

// MaxMatchBoxes bounds the boxes one answer holds (Matches.Truncated).
const MaxMatchBoxes = 5000

// Matches is where a query's words are in a task's pages (GET
// /tasks/{id}/matches).
type Matches struct {
	// Terms are the query's terms after the search's analysis.
	Terms []string `json:"terms"`
	// Pages are the pages with at least one match, in order.
	Pages []PageMatches `json:"pages"`
	// Truncated: more than MaxMatchBoxes boxes; the rest are left out.
	Truncated bool `json:"truncated"`
}

// PageMatches is one page's matching words, in the pixels of the page as
// recognised (Width × Height; the upright page the page image shows).
type PageMatches struct {
	Page   int        `json:"page"`
	Width  int        `json:"width"`
	Height int        `json:"height"`
	Boxes  []MatchBox `json:"boxes"`
}

// MatchBox is one matching word: its box (origin top left) and its text.
type MatchBox struct {
	X    int    `json:"x"`
	Y    int    `json:"y"`
	W    int    `json:"w"`
	H    int    `json:"h"`
	Word string `json:"word"`
}

// SetAnalyzer gives Matches the search's text analysis
// (storage/search.TextTerms): a word matches when it shares a term with
// the query, exactly as the history search decides.
func (s *Service) SetAnalyzer(terms func(string) []string) { s.terms = terms }

// Matches finds the words of q in one of the caller's tasks, page by page,
// from the stored page results, with the search's analysis (case folded,
// stop words ignored). Another user's task → domain.ErrForbidden; an empty
// or overlong q → domain.ErrInvalid. Pages not recognised yet are skipped.
func (s *Service) Matches(ctx context.Context, userID, taskID, q string) (*Matches, error) {
	t, err := s.task(ctx, userID, taskID)
	if err != nil {
		return nil, err
	}
	if s.terms == nil {
		return nil, domain.Errorf(domain.ErrUnavailable, domain.CodeUnavailable, "matches are not available on this server")
	}
	if utf8.RuneCountInString(q) > MaxMatchQuery {
		return nil, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "q is longer than %d characters", MaxMatchQuery)
	}
	terms := s.terms(q)
	if len(terms) == 0 {
		return nil, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "q has no words to look for")
	}
	want := make(map[string]bool, len(terms))
	for _, w := range terms {
		want[w] = true
	}
	m := &Matches{Terms: terms, Pages: []PageMatches{}}
	boxes := 0
	for n := 1; n <= t.PagesTotal && !m.Truncated; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := s.pageResult(ctx, userID, taskID, n)
		if errors.Is(err, domain.ErrNotFound) {
			continue // not recognised yet, or removed by a retry
		} else if err != nil {
			return nil, err
		}
		pm := PageMatches{Page: n, Width: p.Width, Height: p.Height}
		for _, w := range p.Words {
			if !s.matches(w.Text, want) {
				continue
			}
			if boxes == MaxMatchBoxes {
				m.Truncated = true
				break
			}
			boxes++
			pm.Boxes = append(pm.Boxes, MatchBox{X: w.BBox[0], Y: w.BBox[1], W: w.BBox[2] - w.BBox[0], H: w.BBox[3] - w.BBox[1], Word: w.Text})
		}
		if len(pm.Boxes) > 0 {
			m.Pages = append(m.Pages, pm)
		}
	}
	return m, nil
}

func (s *Service) matches(word string, want map[string]bool) bool {
	for _, term := range s.terms(word) {
		if want[term] {
			return true
		}
	}
	return false
}

// pageResult reads page n's stored result; domain.ErrNotFound when there
// is none.
func (s *Service) pageResult(ctx context.Context, userID, taskID string, n int) (*outputs.Page, error) {
	fh, err := s.tree.Open(ctx, userID, taskID, outputs.PageJSONName(n))
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("open page %d result: %w", n, err)
	}
	defer fh.Close()
	var p outputs.Page
	if err := json.NewDecoder(io.LimitReader(fh, 256<<20)).Decode(&p); err != nil {
		return nil, fmt.Errorf("decode page %d result: %w", n, err)
	}
	return &p, nil
}
