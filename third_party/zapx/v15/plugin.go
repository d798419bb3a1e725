// Package zap stands in for bleve's zap v15 segment format, which no ocrbox
// ever wrote (see third_party/zapx/README.md): it registers the version with
// bleve and refuses every segment, so an index in this format is rebuilt
// from the database instead of read.
package zap

import (
	"errors"

	"github.com/RoaringBitmap/roaring/v2"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// ErrUnsupported is every method's answer.
var ErrUnsupported = errors.New("zap v15 index segments are not supported by this build of ocrbox (it writes zap v17); the index is rebuilt")

// ZapPlugin is the segment plugin bleve's scorch registers for zap v15.
type ZapPlugin struct{}

// Type is the segment type, "zap".
func (*ZapPlugin) Type() string { return "zap" }

// Version is the format version this stub stands for.
func (*ZapPlugin) Version() uint32 { return 15 }

// New refuses: new segments are written as zap v17.
func (*ZapPlugin) New([]index.Document) (segment.Segment, uint64, error) {
	return nil, 0, ErrUnsupported
}

// NewUsing refuses, as New.
func (*ZapPlugin) NewUsing([]index.Document, map[string]any) (segment.Segment, uint64, error) {
	return nil, 0, ErrUnsupported
}

// Open refuses to read a segment of this format.
func (*ZapPlugin) Open(string) (segment.Segment, error) { return nil, ErrUnsupported }

// OpenUsing refuses, as Open.
func (*ZapPlugin) OpenUsing(string, map[string]any) (segment.Segment, error) {
	return nil, ErrUnsupported
}

// Merge refuses: there are never segments of this format to merge.
func (*ZapPlugin) Merge([]segment.Segment, []*roaring.Bitmap, string, chan struct{}, segment.StatsReporter) ([][]uint64, uint64, error) {
	return nil, 0, ErrUnsupported
}

// MergeUsing refuses, as Merge.
func (*ZapPlugin) MergeUsing([]segment.Segment, []*roaring.Bitmap, string, chan struct{}, segment.StatsReporter, map[string]any) ([][]uint64, uint64, error) {
	return nil, 0, ErrUnsupported
}
