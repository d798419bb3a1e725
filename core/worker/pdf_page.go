package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/outputs"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// The searchable PDF is assembled from the original, not from what the
// engine saw: the engine returns only the text layer of each page
// (sdk.OptionPDFTextOnly), and outputs.WriteSearchablePDF lays it over the
// uploaded PDF's page, or over the page image in its own encoding. For an
// image upload that image is the one the engine read: the upload itself
// for a single-page PNG, JPEG or TIFF, else the page helper's PNG or Group
// 4 TIFF, which lives in the scratch directory only while its page is
// recognised; keepPageImage stores a copy of it beside the page's result.

// pageImageName is the stored copy of page n's image (image uploads whose
// page the helper re-encoded); removed once the task completed.
func pageImageName(n int) string { return fmt.Sprintf("page-%04d.image", n) }

// wantTextOnlyPDF asks the engine for the page's text layer alone when the
// task makes a searchable PDF.
func wantTextOnlyPDF(t *domain.Task, req *sdk.RecognizeRequest) {
	if !t.Wants(domain.KindPDF) {
		return
	}
	if req.Options == nil {
		req.Options = map[string]string{}
	}
	req.Options[sdk.OptionPDFTextOnly] = "true"
}

// keepPageImage stores the image of an image upload's page for the
// searchable PDF, unless it is the upload itself. It runs before the page's
// PDF and JSON are stored, so a page counted done has its image.
func (w *Worker) keepPageImage(ctx context.Context, t *domain.Task, pg pages.Page) error {
	in, ok := t.InputFile()
	if !t.Wants(domain.KindPDF) || !ok || in.ContentType == pages.TypePDF || pg.Path == "" {
		return nil
	}
	upload, err := w.files.Path(ctx, t.UserID, t.ID, in.StoredName)
	if err != nil {
		return fmt.Errorf("locate input: %w", err)
	}
	if pg.Path == upload {
		return nil
	}
	data, err := os.ReadFile(pg.Path)
	if err != nil {
		return fmt.Errorf("page %d image: %w", pg.Number, err)
	}
	if err := w.files.WriteFileAtomic(ctx, t.UserID, t.ID, pageImageName(pg.Number), data); err != nil {
		return fmt.Errorf("store page %d image: %w", pg.Number, err)
	}
	return nil
}

// writeSearchablePDF assembles the task's searchable PDF from its stored
// pages (outputs.WriteSearchablePDF).
func (w *Worker) writeSearchablePDF(ctx context.Context, t *domain.Task, pgs []outputs.Page, meta outputs.Meta, out io.Writer) error {
	in, ok := t.InputFile()
	if !ok {
		return domain.Errorf(domain.ErrBadInput, "unreadable_input", "the task has no input file")
	}
	doc := outputs.SearchablePDF{PDFA: t.PDFOutput != domain.PDFOutputPDF, Meta: meta}
	if in.ContentType == pages.TypePDF {
		f, err := w.files.Open(ctx, t.UserID, t.ID, in.StoredName)
		if err != nil {
			return fmt.Errorf("open input: %w", err)
		}
		defer f.Close()
		doc.Original = f
	}
	load := func(name string) func() ([]byte, error) {
		return func() ([]byte, error) { return w.readFile(ctx, t, name) }
	}
	for _, p := range pgs {
		// A page read from its own text has the original page stored as
		// its PDF: WriteSearchablePDF leaves the page as it is, and uses
		// that only when it falls back to whole pages.
		pp := outputs.PDFPage{Result: p, TextPDF: load(pagePDFName(p.Number))}
		if doc.Original == nil {
			pp.Image = func() ([]byte, error) {
				b, err := w.readFile(ctx, t, pageImageName(p.Number))
				if errors.Is(err, fs.ErrNotExist) && len(pgs) == 1 {
					return w.readFile(ctx, t, in.StoredName) // the engine read the upload itself
				}
				return b, err
			}
		}
		doc.Pages = append(doc.Pages, pp)
	}
	res, err := outputs.WriteSearchablePDF(ctx, out, doc)
	if err == nil && res.NotPDFA != "" {
		w.log.Info("searchable pdf written without the PDF/A markers", "task_id", t.ID, "user_id", t.UserID, "reason", res.NotPDFA)
	}
	return err
}

// removePageImages drops the page image copies of a completed task: the
// searchable PDF holds them now.
func (w *Worker) removePageImages(ctx context.Context, t *domain.Task, total int) {
	for n := 1; n <= total; n++ {
		_ = w.files.Remove(ctx, t.UserID, t.ID, pageImageName(n))
	}
}

func (w *Worker) readFile(ctx context.Context, t *domain.Task, name string) ([]byte, error) {
	f, err := w.files.Open(ctx, t.UserID, t.ID, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
