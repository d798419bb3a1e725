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
// The assembly runs in a page helper process (PDFAssembler): pdfcpu holds
// the whole document in memory, which must not be the server's.

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

// PDFAssembler writes the searchable PDF that f describes into out, an
// open empty file in the task's directory (outputs.PDFFiles), outside the
// server process (pagehelper.Runner): pdfcpu holds the whole document in
// memory while it builds it. A document that cannot be read is a
// *domain.Error; an assembler that crashed or ran out of memory or time
// returns an error wrapping domain.ErrTransient.
type PDFAssembler interface {
	AssemblePDF(ctx context.Context, f outputs.PDFFiles, out *os.File) (outputs.PDFResult, error)
}

// pdfAssembler is Options.PDFAssembler, else the page helper that decodes
// the pages, else the server's own process.
func (w *Worker) pdfAssembler() PDFAssembler {
	if w.opts.PDFAssembler != nil {
		return w.opts.PDFAssembler
	}
	if a, ok := w.opts.Extractor.(PDFAssembler); ok {
		return a
	}
	return inServer{}
}

// inServer assembles in the server's process: only for a worker built
// with an extractor that is not a page helper.
type inServer struct{}

func (inServer) AssemblePDF(ctx context.Context, f outputs.PDFFiles, out *os.File) (outputs.PDFResult, error) {
	return outputs.WriteSearchablePDFFiles(ctx, out, f)
}

// writeSearchablePDF assembles the task's searchable PDF from its stored
// pages into out (PDFAssembler): the server names the files, the
// assembler reads them.
func (w *Worker) writeSearchablePDF(ctx context.Context, t *domain.Task, pgs []outputs.Page, meta outputs.Meta, out *os.File) error {
	in, ok := t.InputFile()
	if !ok {
		return domain.Errorf(domain.ErrBadInput, domain.CodeUnreadableInput, "the task has no input file")
	}
	path := func(name string) (string, error) { return w.files.Path(ctx, t.UserID, t.ID, name) }
	doc := outputs.PDFFiles{PDFA: t.PDFOutput != domain.PDFOutputPDF, Meta: meta}
	if in.ContentType == pages.TypePDF {
		p, err := path(in.StoredName)
		if err != nil {
			return fmt.Errorf("locate input: %w", err)
		}
		doc.Original = p
	}
	for _, p := range pgs {
		pp := outputs.PDFFile{Result: p.Placement()}
		// A page read from its own text has the original page stored as
		// its PDF: the assembler leaves the page as it is, and uses that
		// only when it falls back to whole pages.
		text, err := path(pagePDFName(p.Number))
		switch {
		case err == nil:
			pp.TextPDF = text
		case p.Source != outputs.SourcePDFText || !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("load page %d pdf: %w", p.Number, err)
		}
		if doc.Original == "" {
			img, err := path(pageImageName(p.Number))
			if errors.Is(err, fs.ErrNotExist) && len(pgs) == 1 {
				img, err = path(in.StoredName) // the engine read the upload itself
			}
			if err != nil {
				return fmt.Errorf("load page %d image: %w", p.Number, err)
			}
			pp.Image = img
		}
		doc.Pages = append(doc.Pages, pp)
	}
	res, err := w.pdfAssembler().AssemblePDF(ctx, doc, out)
	var de *domain.Error
	if err != nil && !errors.As(err, &de) && errors.Is(err, domain.ErrTransient) {
		// The assembler crashed or ran out of memory or time: its message
		// is safe to show, and a retry of the task may pass.
		return domain.Wrap(err, domain.ErrTransient, domain.CodeDecodeFailed, "the searchable PDF could not be made: %v", err)
	}
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
