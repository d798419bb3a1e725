package pagehelper

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/pages"
)

// Preview renders the page j names for the result viewer (pages.Preview:
// PNG, at most width pixels wide, turned by quarters×90° clockwise) into
// j.Out, in a fresh helper process under the same limits as a page for
// OCR. A page that cannot be read is a *domain.Error; a helper that fails
// otherwise an *Error (transient). Nothing is left at j.Out on failure.
func (r *Runner) Preview(ctx context.Context, j pages.Job, width, quarters int) (pages.Page, error) {
	j.CacheDir = r.opts.CacheDir
	job, err := json.Marshal(request{Job: j, PreviewWidth: width, PreviewQuarters: quarters})
	if err != nil {
		return pages.Page{}, fmt.Errorf("encode preview job: %w", err)
	}
	res, err := r.run(ctx, job)
	if err != nil {
		return pages.Page{}, err
	}
	var rep reply
	answered := res.state.Success() && json.Unmarshal(res.stdout, &rep) == nil && (rep.Page != nil || rep.Error != nil)
	if !answered || rep.Page == nil {
		_ = os.Remove(j.Out)
	}
	if ctx.Err() != nil {
		return pages.Page{}, context.Cause(ctx)
	}
	switch {
	case answered && rep.Error != nil:
		kind := kinds[rep.Error.Kind]
		if kind == nil {
			kind = domain.ErrBadInput
		}
		return pages.Page{}, domain.Errorf(kind, rep.Error.Code, "%s", rep.Error.Message)
	case answered:
		p := rep.Page
		return pages.Page{Number: p.Number, Path: p.Path, ContentType: p.ContentType, Width: p.Width, Height: p.Height}, nil
	case res.timedOut:
		return pages.Page{}, &Error{Message: fmt.Sprintf("rendering the page took longer than %s", r.opts.Timeout)}
	}
	r.log.Warn("page helper failed to render a preview", "status", res.state.String(), "stderr", string(trimmed(res.stderr)))
	return pages.Page{}, &Error{Message: "the page decoder failed (" + res.state.String() + ")"}
}

func trimmed(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
