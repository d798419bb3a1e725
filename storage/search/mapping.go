package search

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/analysis/char/regexp"
	"github.com/blevesearch/bleve/v2/analysis/token/edgengram"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
)

// MappingVersion identifies the document mapping and analysers below.
// Bump it with every change to them: Open then rebuilds the index.
const MappingVersion = 1

// Field names (see the package comment).
const (
	fieldUserID         = "user_id"
	fieldTaskID         = "task_id"
	fieldFilename       = "filename"
	fieldFilenamePrefix = "filename_prefix"
	fieldFilenameSort   = "filename_sort"
	fieldStatus         = "status"
	fieldCreatedAt      = "created_at"
	fieldCompletedAt    = "completed_at"
	fieldDurationMS     = "duration_ms"
	fieldPages          = "pages"
	fieldText           = "text"
)

// Analyser names registered in the mapping.
const (
	analyzerFilename = "ocrbox_filename"
	analyzerPrefix   = "ocrbox_filename_prefix"
	analyzerSortKey  = "ocrbox_sort_key"
	charSeparators   = "ocrbox_separators"
	filterEdgeNGram  = "ocrbox_edge_ngram"

	// maxPrefixRunes is the longest filename prefix indexed; longer query
	// words match whole filename words only.
	maxPrefixRunes = 24
)

// newMapping builds the index mapping: one static document type, nothing
// dynamic, no _all field.
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	if err := im.AddCustomCharFilter(charSeparators, map[string]any{
		"type":    regexp.Name,
		"regexp":  `[\p{P}\p{S}\p{Z}\p{C}]+`,
		"replace": " ",
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomTokenFilter(filterEdgeNGram, map[string]any{
		"type": edgengram.Name, "back": false, "min": 1.0, "max": float64(maxPrefixRunes),
	}); err != nil {
		return nil, err
	}
	for name, def := range map[string]map[string]any{
		analyzerFilename: {"type": custom.Name, "char_filters": []any{charSeparators},
			"tokenizer": unicode.Name, "token_filters": []any{lowercase.Name}},
		analyzerPrefix: {"type": custom.Name, "char_filters": []any{charSeparators},
			"tokenizer": unicode.Name, "token_filters": []any{lowercase.Name, filterEdgeNGram}},
		analyzerSortKey: {"type": custom.Name, "tokenizer": single.Name, "token_filters": []any{lowercase.Name}},
	} {
		if err := im.AddCustomAnalyzer(name, def); err != nil {
			return nil, err
		}
	}

	kw := func(name string, store, docValues bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Name, f.Store, f.DocValues, f.IncludeInAll, f.IncludeTermVectors = name, store, docValues, false, false
		return f
	}
	text := func(name, analyzer string) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Name, f.Analyzer, f.Store, f.DocValues, f.IncludeInAll, f.IncludeTermVectors = name, analyzer, false, false, false, false
		return f
	}
	date := func(name string) *mapping.FieldMapping {
		f := bleve.NewDateTimeFieldMapping()
		f.Name, f.Store, f.DocValues, f.IncludeInAll = name, false, true, false
		return f
	}
	num := func(name string) *mapping.FieldMapping {
		f := bleve.NewNumericFieldMapping()
		f.Name, f.Store, f.DocValues, f.IncludeInAll = name, false, true, false
		return f
	}
	sortKey := text(fieldFilenameSort, analyzerSortKey)
	sortKey.DocValues = true

	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldUserID, kw(fieldUserID, false, false))
	doc.AddFieldMappingsAt(fieldTaskID, kw(fieldTaskID, true, false))
	doc.AddFieldMappingsAt(fieldFilename,
		text(fieldFilename, analyzerFilename), text(fieldFilenamePrefix, analyzerPrefix), sortKey)
	doc.AddFieldMappingsAt(fieldStatus, kw(fieldStatus, false, true))
	doc.AddFieldMappingsAt(fieldCreatedAt, date(fieldCreatedAt))
	doc.AddFieldMappingsAt(fieldCompletedAt, date(fieldCompletedAt))
	doc.AddFieldMappingsAt(fieldDurationMS, num(fieldDurationMS))
	doc.AddFieldMappingsAt(fieldPages, num(fieldPages))
	doc.AddFieldMappingsAt(fieldText, text(fieldText, standard.Name))

	im.DefaultMapping = doc
	im.DefaultAnalyzer = keyword.Name
	im.IndexDynamic, im.StoreDynamic, im.DocValuesDynamic = false, false, false
	if err := im.Validate(); err != nil {
		return nil, err
	}
	return im, nil
}
