package outputs

import (
	"context"
	"fmt"
	"io"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/ocrbox/ocrbox/core/domain"
)

// pdfcpu otherwise writes config.yml and fonts into the user's config
// directory on first use: a server must not write outside its data dir.
// An init function runs before any goroutine, so this cannot race.
func init() { api.DisableConfigDir() }

// MergePDF concatenates the engine's one-page searchable PDFs, in order,
// into the task's PDF output. pdfcpu builds the merged document in memory,
// so the cost is about the sum of the page PDFs' sizes.
func MergePDF(ctx context.Context, w io.Writer, pagePDFs []io.ReadSeeker) error {
	if len(pagePDFs) == 0 {
		return domain.Errorf(domain.ErrInvalid, domain.CodeNoPages, "no page PDFs to merge")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(pagePDFs) == 1 {
		// Nothing to merge; copying keeps the engine's file byte for byte.
		if _, err := pagePDFs[0].Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("merge pdf: %w", err)
		}
		_, err := io.Copy(w, pagePDFs[0])
		return err
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	if err := api.MergeRaw(pagePDFs, w, false, conf); err != nil {
		return fmt.Errorf("merge pdf: %w", err)
	}
	return nil
}
