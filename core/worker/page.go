package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sethvargo/go-retry"
	"google.golang.org/grpc/codes"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/outputs"
	"github.com/ocrbox/ocrbox/core/pages"
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

// doPage recognises one page, stores its result and counts it done.
func (w *Worker) doPage(ctx context.Context, t *domain.Task, pg pages.Page, log *slog.Logger) error {
	started := time.Now()
	resp, err := w.recognize(ctx, t, pg, log)
	if ctx.Err() == nil { // a cancelled or interrupted page is neither done nor failed
		w.opts.Observer.PageDone(t.Engine, time.Since(started), err)
	}
	if err != nil {
		return err
	}
	page := outputs.FromResponse(pg.Number, pg.DPI, resp)
	data, err := json.Marshal(page)
	if err != nil {
		return fmt.Errorf("encode page %d: %w", pg.Number, err)
	}
	// The PDF goes first: the JSON marks the page done.
	if t.Wants(domain.KindPDF) {
		if err := w.files.WriteFileAtomic(ctx, t.UserID, t.ID, pagePDFName(pg.Number), resp.GetPdf()); err != nil {
			return fmt.Errorf("store page %d pdf: %w", pg.Number, err)
		}
	}
	if err := w.files.WriteFileAtomic(ctx, t.UserID, t.ID, pageJSONName(pg.Number), data); err != nil {
		return fmt.Errorf("store page %d: %w", pg.Number, err)
	}
	_, err = w.update(ctx, t, func(x *domain.Task) error {
		if err := stillProcessing(x); err != nil {
			return err
		}
		x.PagesDone++
		return nil
	})
	log.Debug("page done", "page", pg.Number, "ms", time.Since(started).Milliseconds())
	return err
}

// recognize calls the engine with a per-page timeout, retrying transient
// failures (a crashed or hung engine process) with exponential backoff.
func (w *Worker) recognize(ctx context.Context, t *domain.Task, pg pages.Page, log *slog.Logger) (*sdk.RecognizeResponse, error) {
	req := &sdk.RecognizeRequest{
		Image: pg.Data, ContentType: pg.ContentType, Languages: splitLang(t.Lang),
		PageNumber: int32(pg.Number), WantHocr: w.opts.EngineHOCR && t.Wants(domain.KindHOCR), WantPdf: t.Wants(domain.KindPDF),
		Dpi: int32(pg.DPI),
	}
	attempt := 0
	var resp *sdk.RecognizeResponse
	b := retry.WithMaxRetries(uint64(w.opts.MaxAttempts-1), retry.NewExponential(w.opts.Backoff))
	err := retry.Do(ctx, b, func(ctx context.Context) error {
		attempt++
		r, err := w.recognizeOnce(ctx, t.Engine, req)
		if err == nil {
			resp = r
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if errors.Is(err, sdk.ErrBadImage) || errors.Is(err, sdk.ErrUnsupported) {
			return domain.Errorf(domain.ErrBadInput, "unreadable_input", "page %d could not be read: %v", pg.Number, err)
		}
		log.Warn("page attempt failed", "page", pg.Number, "attempt", attempt, "error", err)
		return retry.RetryableError(err)
	})
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) || ctx.Err() != nil {
			return nil, err
		}
		return nil, domain.Errorf(domain.ErrTransient, "engine_failed",
			"OCR engine %q failed on page %d after %d attempts: %v", t.Engine, pg.Number, attempt, err)
	}
	return resp, nil
}

func (w *Worker) recognizeOnce(ctx context.Context, engine string, req *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
	proc, err := w.engines.Acquire(ctx, engine)
	if err != nil {
		return nil, err
	}
	defer w.engines.Release(engine, proc)
	eng, err := proc.Engine(ctx)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(w.opts.PageTimeout)
	pctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	resp, err := eng.Recognize(pctx, req)
	if err == nil || ctx.Err() != nil {
		return resp, err
	}
	// The deadline travels with the call, so the plugin side may cancel it
	// (and the error arrive) a moment before our own timer fires: judge by
	// the clock, not only by pctx.Err().
	if pctx.Err() != nil || !time.Now().Before(deadline) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// The engine hung past the page timeout: replace the process so the
		// next page does not queue behind it.
		if rerr := proc.Restart(ctx); rerr != nil {
			w.log.Error("restart hung engine", "engine", engine, "error", rerr)
		}
		return nil, fmt.Errorf("page timed out after %s", w.opts.PageTimeout)
	}
	var remote *sdk.RemoteError
	if errors.As(err, &remote) && remote.Code == codes.Unavailable {
		w.log.Warn("engine process lost during a page", "engine", engine, "error", err)
		return nil, errors.New("the engine process stopped unexpectedly")
	}
	return nil, err
}
