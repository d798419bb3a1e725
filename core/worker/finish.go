package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/outputs"
)

var contentTypes = map[domain.FileKind]string{
	domain.KindTxt:  "text/plain; charset=utf-8",
	domain.KindHOCR: "application/xhtml+xml; charset=utf-8",
	domain.KindJSON: "application/json",
	domain.KindPDF:  "application/pdf",
}

// finish assembles the requested outputs from the stored page results and
// marks the task completed.
func (w *Worker) finish(ctx context.Context, t *domain.Task, total int, log *slog.Logger) error {
	pgs := make([]outputs.Page, 0, total)
	for n := 1; n <= total; n++ {
		f, err := w.files.Open(ctx, t.UserID, t.ID, pageJSONName(n))
		if err != nil {
			return fmt.Errorf("read page %d result: %w", n, err)
		}
		var p outputs.Page
		err = json.NewDecoder(f).Decode(&p)
		f.Close()
		if err != nil {
			return fmt.Errorf("decode page %d result: %w", n, err)
		}
		pgs = append(pgs, p)
	}
	meta := outputs.Meta{TaskID: t.ID, Filename: t.Filename, Engine: t.Engine, Lang: t.Lang, CreatedAt: t.CreatedAt}
	var files []domain.File
	for _, kind := range domain.OutputKinds {
		if !t.Wants(kind) {
			continue
		}
		stored := "result." + string(kind)
		size, err := w.writeOutput(ctx, t, stored, func(out *os.File) error {
			switch kind {
			case domain.KindTxt:
				return outputs.WriteText(out, pgs)
			case domain.KindHOCR:
				return outputs.WriteHOCR(out, pgs, meta)
			case domain.KindJSON:
				return outputs.WriteJSON(out, pgs, meta)
			default:
				return w.writeSearchablePDF(ctx, t, pgs, meta, out)
			}
		})
		if err != nil {
			return fmt.Errorf("assemble %s: %w", kind, err)
		}
		files = append(files, domain.File{
			ID: w.opts.NewID(), TaskID: t.ID, UserID: t.UserID, Kind: kind, Name: outputName(t.Filename, kind),
			Size: size, ContentType: contentTypes[kind], CreatedAt: time.Now().UTC(), StoredName: stored,
		})
	}
	now := time.Now().UTC()
	nt, err := w.update(ctx, t, func(x *domain.Task) error {
		ev := domain.Complete(total, files)
		ev.Review = reviewOf(pgs, w.opts.ReviewConfidence)
		return apply(x, ev, now)
	})
	if err == nil {
		w.removePageImages(ctx, t, total)
		log.Info("task completed", "pages", total)
		w.opts.Observer.TaskFinished(string(domain.StatusCompleted), nt.RunTime())
	}
	return err
}

// writeOutput writes one output file, replacing any left by a crashed run;
// a failed write leaves none. fill gets the file itself: the searchable
// PDF is written by another process through it.
func (w *Worker) writeOutput(ctx context.Context, t *domain.Task, name string, fill func(*os.File) error) (int64, error) {
	_ = w.files.Remove(ctx, t.UserID, t.ID, name)
	f, err := w.files.Create(ctx, t.UserID, t.ID, name)
	if err != nil {
		return 0, err
	}
	err = fill(f)
	if err == nil {
		err = f.Sync()
	}
	var st os.FileInfo
	if err == nil {
		st, err = f.Stat()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = w.files.Remove(ctx, t.UserID, t.ID, name)
		return 0, err
	}
	return st.Size(), nil
}

func splitLang(lang string) []string { return strings.Split(lang, "+") }
