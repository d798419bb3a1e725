package downloads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/outputs"
	"github.com/ocrbox/ocrbox/core/pages"
)

// ActionPageImage is the audit action of a page image for the viewer.
const ActionPageImage = "page_image"

// Renderer renders a page for a person to look at, outside the server
// process (pagehelper.Runner.Preview): the server never decodes a page.
type Renderer interface {
	Preview(ctx context.Context, j pages.Job, width, quarters int) (pages.Page, error)
}

// PageTree is what page images need of the file tree beyond Open.
type PageTree interface {
	Path(ctx context.Context, userID, taskID, name string) (string, error)
	WriteFileAtomic(ctx context.Context, userID, taskID, name string, data []byte) error
}

// PageImages configures Service.PageImage.
type PageImages struct {
	Renderer Renderer
	Tree     PageTree
	// ScratchDir is where the helper writes a page image before it is
	// stored in the task's directory.
	ScratchDir    string
	MaxMegapixels float64
	// NewID names scratch files.
	NewID func() string
}

// PreviewWidths are the widths page images are rendered at: a request is
// rounded up to the next, so a page has at most this many cached images.
var PreviewWidths = []int{320, 640, 1024, 1600, pages.MaxPreviewWidth}

// DefaultPreviewWidth is the width of a page image when none is asked for.
const DefaultPreviewWidth = 1024

// PreviewWidth rounds a requested width up to the next of PreviewWidths;
// 0 is DefaultPreviewWidth, anything outside 1..MaxPreviewWidth is invalid.
func PreviewWidth(requested int) (int, error) {
	if requested == 0 {
		return DefaultPreviewWidth, nil
	}
	for _, w := range PreviewWidths {
		if requested >= 1 && requested <= w {
			return w, nil
		}
	}
	return 0, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter,
		"width must be 1 to %d pixels", pages.MaxPreviewWidth)
}

// previewName is the cached image's name in the task's directory: made
// here from numbers only, never from the request's text.
func previewName(page, width, degrees int) string {
	return fmt.Sprintf("preview-p%04d-w%d-r%d.png", page, width, degrees)
}

// SetPageImages enables PageImage; without it PageImage answers
// domain.ErrUnavailable.
func (s *Service) SetPageImages(p PageImages) {
	s.pages = &p
	s.renders = make(chan struct{}, 2) // page helpers rendering at once, server-wide
}

// PageImage returns page (1-based) of one of the caller's tasks as a PNG
// at most width pixels wide (rounded up to PreviewWidths; the page is never
// enlarged), upright as the engine read it once the page is recognised.
// Rendered by the page helper on first use and kept in the task's
// directory; the caller closes the file. Ownership is checked and every
// attempt audited as Open does (action page_image, file "page-N").
func (s *Service) PageImage(ctx context.Context, userID, taskID string, page, width int, ip string) (*os.File, int64, error) {
	fh, size, err := s.pageImage(ctx, userID, taskID, page, width)
	if aerr := s.record(ctx, ActionPageImage, userID, taskID, "page-"+strconv.Itoa(page), ip, err); err == nil && aerr != nil {
		fh.Close()
		return nil, 0, aerr
	}
	return fh, size, err
}

func (s *Service) pageImage(ctx context.Context, userID, taskID string, page, width int) (*os.File, int64, error) {
	t, err := s.task(ctx, userID, taskID)
	if err != nil {
		return nil, 0, err
	}
	if s.pages == nil {
		return nil, 0, domain.Errorf(domain.ErrUnavailable, domain.CodeUnavailable, "page images are not available on this server")
	}
	if width, err = PreviewWidth(width); err != nil {
		return nil, 0, err
	}
	switch {
	case t.PagesTotal == 0:
		return nil, 0, domain.Errorf(domain.ErrConflict, domain.CodeInvalidState, "the task's pages are not counted yet")
	case page < 1 || page > t.PagesTotal:
		return nil, 0, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "page must be 1 to %d", t.PagesTotal)
	}
	in, ok := t.InputFile()
	if !ok {
		return nil, 0, domain.Errorf(domain.ErrNotFound, domain.CodeNotFound, "this task's upload is no longer stored")
	}
	degrees := s.pageOrientation(ctx, userID, taskID, page)
	name := previewName(page, width, degrees)
	if fh, err := s.tree.Open(ctx, userID, taskID, name); err == nil {
		return withSize(fh)
	}
	src, err := s.pages.Tree.Path(ctx, userID, taskID, in.StoredName)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, 0, domain.Errorf(domain.ErrNotFound, domain.CodeNotFound, "this task's upload is no longer stored")
	} else if err != nil {
		return nil, 0, fmt.Errorf("locate input of task %s: %w", taskID, err)
	}
	select {
	case s.renders <- struct{}{}:
		defer func() { <-s.renders }()
	case <-ctx.Done():
		return nil, 0, context.Cause(ctx)
	}
	if err := os.MkdirAll(s.pages.ScratchDir, 0o700); err != nil { // the worker makes it too, at its start
		return nil, 0, fmt.Errorf("page image scratch directory: %w", err)
	}
	out := filepath.Join(s.pages.ScratchDir, fmt.Sprintf("%s-preview-%s.png", taskID, s.pages.NewID()))
	defer os.Remove(out)
	j := pages.Job{Path: src, ContentType: in.ContentType, Index: page - 1, Pages: t.PagesTotal,
		MaxMegapixels: s.pages.MaxMegapixels, Out: out}
	if _, err := s.pages.Renderer.Preview(ctx, j, width, (360-degrees)/90%4); err != nil {
		return nil, 0, err
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, 0, fmt.Errorf("read page image: %w", err)
	}
	if err := s.pages.Tree.WriteFileAtomic(ctx, userID, taskID, name, data); err != nil {
		return nil, 0, fmt.Errorf("store page image: %w", err)
	}
	fh, err := s.tree.Open(ctx, userID, taskID, name)
	if err != nil {
		return nil, 0, fmt.Errorf("open page image: %w", err)
	}
	return withSize(fh)
}

// pageOrientation is how far the engine found page n turned (0, 90, 180,
// 270), from its stored result; 0 before the page is recognised.
func (s *Service) pageOrientation(ctx context.Context, userID, taskID string, n int) int {
	fh, err := s.tree.Open(ctx, userID, taskID, outputs.PageJSONName(n))
	if err != nil {
		return 0
	}
	defer fh.Close()
	var p struct {
		Orientation struct {
			Degrees int `json:"degrees"`
		} `json:"orientation"`
	}
	if json.NewDecoder(io.LimitReader(fh, 64<<20)).Decode(&p) != nil {
		return 0
	}
	switch d := p.Orientation.Degrees; d {
	case 90, 180, 270:
		return d
	}
	return 0
}

func withSize(fh *os.File) (*os.File, int64, error) {
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, 0, fmt.Errorf("stat page image: %w", err)
	}
	return fh, st.Size(), nil
}
