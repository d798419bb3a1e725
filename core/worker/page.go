package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-retry"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/engines"
	"github.com/ocrbox/ocrbox/core/outputs"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

func pageJSONName(n int) string { return outputs.PageJSONName(n) }
func pagePDFName(n int) string  { return fmt.Sprintf("page-%04d.pdf", n) }

// pageDone reports whether a previous run already stored this page's
// result, so a task resumed after a crash does not redo it.
func (w *Worker) pageDone(ctx context.Context, t *domain.Task, n int) (bool, error) {
	f, err := w.files.Open(ctx, t.UserID, t.ID, pageJSONName(n))
	if err != nil {
		return false, nil
	}
	f.Close()
	if t.Wants(domain.KindPDF) {
		f, err := w.files.Open(ctx, t.UserID, t.ID, pagePDFName(n))
		if err != nil {
			return false, nil
		}
		f.Close()
	}
	return true, nil
}

// doPage decodes page i (0-based) in a page helper process, recognises it
// (or, for a PDF page with its own text, reads that text: see
// pages.SourcePDFText), stores its result and counts it done.
func (w *Worker) doPage(ctx context.Context, t *domain.Task, doc *pages.Document, i int, log *slog.Logger) error {
	started := time.Now()
	out := filepath.Join(w.opts.ScratchDir, fmt.Sprintf("%s-p%04d-%s", t.ID, i+1, w.opts.NewID()))
	defer os.Remove(out) // a page handed on as uploaded leaves nothing here
	job, err := doc.Job(i, out)
	if err != nil {
		return err
	}
	job.PDFText = t.PDFText
	if t.Wants(domain.KindPDF) {
		job.PDFOut = out + ".pdf" // the original page, when read from its text
		defer os.Remove(job.PDFOut)
	}
	resp, pg, err := w.recognize(ctx, t, job, log)
	if ctx.Err() == nil { // a cancelled or interrupted page is neither done nor failed
		w.opts.Observer.PageDone(t.Engine, time.Since(started), err)
	}
	if err != nil {
		return err
	}
	var (
		page outputs.Page
		pdf  []byte
	)
	if pg.Source == pages.SourcePDFText {
		if page, err = textLayerPage(pg); err != nil {
			return err
		}
		if t.Wants(domain.KindPDF) {
			if pdf, err = os.ReadFile(pg.PDFPath); err != nil {
				return fmt.Errorf("page %d pdf: %w", pg.Number, err)
			}
		}
	} else {
		page = outputs.FromResponse(pg.Number, pg.DPI, resp)
		pdf = resp.GetPdf()
		// The searchable PDF places the page's text layer by the image the
		// engine read, and lays it over that image (pdf_page.go).
		page.ImageWidth, page.ImageHeight = pg.Width, pg.Height
		if err := w.keepPageImage(ctx, t, pg); err != nil {
			return err
		}
	}
	data, err := json.Marshal(page)
	if err != nil {
		return fmt.Errorf("encode page %d: %w", pg.Number, err)
	}
	// The PDF goes first: the JSON marks the page done.
	if t.Wants(domain.KindPDF) {
		if err := w.files.WriteFileAtomic(ctx, t.UserID, t.ID, pagePDFName(pg.Number), pdf); err != nil {
			return fmt.Errorf("store page %d pdf: %w", pg.Number, err)
		}
	}
	if err := w.files.WriteFileAtomic(ctx, t.UserID, t.ID, pageJSONName(pg.Number), data); err != nil {
		return fmt.Errorf("store page %d: %w", pg.Number, err)
	}
	_, err = w.update(ctx, t, func(x *domain.Task) error { return apply(x, domain.PageDone(), time.Now().UTC()) })
	log.Debug("page done", "page", pg.Number, "source", page.Source, "ms", time.Since(started).Milliseconds())
	return err
}

// textLayerPage is the stored result of a PDF page read from its own text
// layer: the words with their boxes in the pixels of the page at its DPI
// (as an engine reports them for that raster), one block and paragraph,
// the PDF's lines, confidence 100 (the text is the document's own), and
// Source pdf_text. The page's one-page PDF for the searchable output is
// the original page itself (pg.PDFPath), with no text layer added.
func textLayerPage(pg pages.Page) (outputs.Page, error) {
	tl, err := pages.ReadTextLayer(pg.Path)
	if err != nil {
		return outputs.Page{}, fmt.Errorf("page %d: %w", pg.Number, err)
	}
	p := outputs.Page{Number: pg.Number, Width: tl.Width, Height: tl.Height, DPI: tl.DPI,
		ImageWidth: tl.Width, ImageHeight: tl.Height, Source: outputs.SourcePDFText,
		Words: make([]outputs.Word, 0, len(tl.Words))}
	var text strings.Builder
	for k, wd := range tl.Words {
		switch {
		case k == 0:
		case wd.Line != tl.Words[k-1].Line:
			text.WriteByte('\n')
		default:
			text.WriteByte(' ')
		}
		text.WriteString(wd.Text)
		p.Words = append(p.Words, outputs.Word{Text: wd.Text, BBox: wd.BBox, Confidence: 100,
			Block: 1, Paragraph: 1, Line: wd.Line})
	}
	if len(tl.Words) > 0 {
		text.WriteByte('\n')
		p.MeanConfidence = 100
	}
	p.Text = text.String()
	return p, nil
}

// recognize decodes the job's page (once) and calls the engine with a
// per-page timeout. Transient failures of either — a page helper that
// crashed or hung, an engine process that crashed or hung — are retried
// with exponential backoff up to MaxAttempts; an unreadable page is not.
func (w *Worker) recognize(ctx context.Context, t *domain.Task, job pages.Job, log *slog.Logger) (*sdk.RecognizeResponse, pages.Page, error) {
	n := job.Index + 1
	var (
		pg      pages.Page
		req     *sdk.RecognizeRequest
		resp    *sdk.RecognizeResponse
		attempt int
		decoded bool
	)
	b := retry.WithMaxRetries(uint64(w.opts.MaxAttempts-1), retry.NewExponential(w.opts.Backoff))
	err := retry.Do(ctx, b, func(ctx context.Context) error {
		attempt++
		if !decoded {
			p, err := w.opts.Extractor.Extract(ctx, job)
			switch {
			case ctx.Err() != nil:
				return context.Cause(ctx)
			case err != nil && isDomainError(err):
				return err // unreadable, too large: permanent
			case err != nil:
				log.Warn("page decode attempt failed", "page", n, "attempt", attempt, "error", err)
				return retry.RetryableError(&decodeError{err})
			}
			pg, decoded = p, true
			if pg.Source == pages.SourcePDFText {
				return nil // the PDF's own text: no engine
			}
			if req, err = w.request(t, pg); err != nil {
				return err
			}
		}
		r, err := w.recognizeOnce(ctx, t.Engine, req)
		if err == nil {
			resp = r
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if errors.Is(err, sdk.ErrBadImage) || errors.Is(err, sdk.ErrUnsupported) {
			return domain.Errorf(domain.ErrBadInput, domain.CodeUnreadableInput, "page %d could not be read: %v", n, err)
		}
		log.Warn("page attempt failed", "page", n, "attempt", attempt, "error", err)
		return retry.RetryableError(err)
	})
	if err != nil {
		var de *domain.Error
		var dec *decodeError
		switch {
		case errors.As(err, &de) || ctx.Err() != nil:
			return nil, pg, err
		case errors.As(err, &dec):
			return nil, pg, domain.Errorf(domain.ErrTransient, domain.CodeDecodeFailed,
				"page %d could not be decoded after %d attempts: %v", n, attempt, dec.err)
		}
		return nil, pg, domain.Errorf(domain.ErrTransient, domain.CodeEngineFailed,
			"OCR engine %q failed on page %d after %d attempts: %v", t.Engine, n, attempt, err)
	}
	return resp, pg, nil
}

// decodeError marks a failed page helper run among the retried errors.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

func isDomainError(err error) bool {
	var de *domain.Error
	return errors.As(err, &de)
}

// request builds the engine request for a decoded page: by path when the
// engine reads files, else with the page's bytes, which must fit one gRPC
// message.
func (w *Worker) request(t *domain.Task, pg pages.Page) (*sdk.RecognizeRequest, error) {
	req := &sdk.RecognizeRequest{
		ContentType: pg.ContentType, Languages: splitLang(t.Lang),
		PageNumber: int32(pg.Number), WantHocr: w.opts.EngineHOCR && t.Wants(domain.KindHOCR), WantPdf: t.Wants(domain.KindPDF),
		Dpi: int32(pg.DPI),
		// Engines that cannot turn pages ignore it (plugins/tesseract reads it).
		Options: map[string]string{"autorotate": strconv.FormatBool(t.Autorotate)},
	}
	wantTextOnlyPDF(t, req)
	path, err := filepath.Abs(pg.Path)
	if err != nil {
		return nil, fmt.Errorf("page %d file: %w", pg.Number, err)
	}
	if w.engines == nil || w.engines.AcceptsPath(t.Engine) {
		// A cluster node gets the file's bytes from the coordinator either way.
		req.ImagePath = path
		return req, nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("page %d file: %w", pg.Number, err)
	}
	if st.Size() > MaxPageBytes {
		return nil, domain.Errorf(domain.ErrTooLarge, domain.CodePageTooLarge,
			"page %d is %d MiB; engine %q takes pages of at most %d MiB", pg.Number, st.Size()>>20, t.Engine, MaxPageBytes>>20)
	}
	if req.Image, err = os.ReadFile(path); err != nil {
		return nil, fmt.Errorf("page %d file: %w", pg.Number, err)
	}
	return req, nil
}

// MaxPageBytes is the largest page sent as bytes to an engine that does not
// read files: one gRPC message (sdk.MaxMessageBytes) less room for the
// request's other fields.
const MaxPageBytes = sdk.MaxMessageBytes - 1<<20

// recognizeLocal recognises one page on proc, a process of this server's
// engine taken from w.engines, and gives it back.
func (w *Worker) recognizeLocal(ctx context.Context, engine string, proc *host.Process, req *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
	defer w.engines.Release(engine, proc)
	return engines.RecognizeOn(ctx, proc, req, w.opts.PageTimeout, w.log)
}
