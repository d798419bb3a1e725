package history

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"strings"
	"unicode/utf8"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/outputs"
)

// text returns up to MaxTextBytes of a completed task's recognised text:
// its txt output, or, when the task did not ask for one, the text of its
// stored page results. Other tasks have none. A missing or unreadable file
// gives what could be read: the index is best effort, never a reason to
// fail.
func (ix *Indexer) text(ctx context.Context, t *domain.Task) string {
	if t.Status != domain.StatusCompleted {
		return ""
	}
	limit := ix.opts.MaxTextBytes
	for _, f := range t.Files {
		if f.Kind != domain.KindTxt {
			continue
		}
		fh, err := ix.files.Open(ctx, t.UserID, t.ID, f.StoredName)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, domain.ErrNotFound) {
				ix.log.Warn("open text to index", "task_id", t.ID, "user_id", t.UserID, "error", err)
			}
			return ""
		}
		defer fh.Close()
		b, err := io.ReadAll(io.LimitReader(fh, limit))
		if err != nil {
			ix.log.Warn("read text to index", "task_id", t.ID, "user_id", t.UserID, "error", err)
		}
		return validPrefix(b)
	}
	var sb strings.Builder
	for n := 1; n <= t.PagesTotal && int64(sb.Len()) < limit; n++ {
		fh, err := ix.files.Open(ctx, t.UserID, t.ID, outputs.PageJSONName(n))
		if err != nil {
			break
		}
		var p struct {
			Text string `json:"text"`
		}
		err = json.NewDecoder(fh).Decode(&p)
		fh.Close()
		if err != nil {
			break
		}
		sb.WriteString(p.Text)
		sb.WriteByte('\n')
	}
	s := sb.String()
	if int64(len(s)) > limit {
		s = s[:limit]
	}
	return validPrefix([]byte(s))
}

// validPrefix drops a rune cut in half at the end and any invalid bytes.
func validPrefix(b []byte) string {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		r, size := utf8.DecodeLastRune(b)
		if r != utf8.RuneError || size != 1 {
			break
		}
		b = b[:len(b)-1]
	}
	return string(bytes.ToValidUTF8(b, nil))
}
