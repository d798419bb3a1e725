package pages

import (
	"context"
	"testing"
	"time"
)

func TestZZTiff500(t *testing.T) {
	var sizes [][2]uint32
	for i := 0; i < 1000; i++ {
		sizes = append(sizes, [2]uint32{64, 64})
	}
	p := writeTemp(t, "many.tif", tiffPages(sizes))
	s := time.Now()
	doc, err := Open(context.Background(), p, "", Limits{})
	t.Logf("open 1000 pages: %v err %v", time.Since(s), err)
	s = time.Now()
	_, err = doc.Page(context.Background(), 999)
	t.Logf("page 1000: %v err %v", time.Since(s), err)
}
