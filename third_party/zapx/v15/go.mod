// Stands in for github.com/blevesearch/zapx/v15: see ../README.md.
module github.com/blevesearch/zapx/v15

go 1.24

require (
	github.com/RoaringBitmap/roaring/v2 v2.14.5
	github.com/blevesearch/bleve_index_api v1.4.1
	github.com/blevesearch/scorch_segment_api/v2 v2.4.11
)
