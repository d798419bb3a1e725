package history

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Export formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// exportChunk is how many tasks an export holds in memory at once.
const exportChunk = 2000

// csvColumns is the header row of a CSV export.
var csvColumns = []string{"id", "filename", "status", "engine", "lang", "pages_total", "pages_done",
	"created_at", "completed_at", "duration_ms", "error"}

// Export is a validated export, ready to stream.
type Export struct {
	// Filename is the suggested download name, ocrbox-history-YYYYMMDD.csv.
	Filename string
	// ContentType is the MIME type of the body.
	ContentType string

	s      *Service
	userID string
	q      domain.SearchQuery
	format string
}

// Export checks an export request (format csv or json; the filters of
// Search; paging and sort are ignored: everything matching, newest first)
// and returns it ready to stream. Errors here are the caller's to report;
// once streaming has begun there is no status left to change.
func (s *Service) Export(ctx context.Context, userID, format string, q domain.SearchQuery) (*Export, error) {
	if format != FormatCSV && format != FormatJSON {
		return nil, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidParameter, "format must be csv or json")
	}
	q.Sort, q.Desc, q.Offset, q.Limit = domain.SortCreatedAt, true, 0, 0
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if q.Q != "" && !s.ready() { // without a search text the store serves
		return nil, errRebuilding
	}
	e := &Export{s: s, userID: userID, q: q, format: format,
		Filename: "ocrbox-history-" + s.now().UTC().Format("20060102") + "." + format}
	if format == FormatCSV {
		e.ContentType = "text/csv; charset=utf-8"
	} else {
		e.ContentType = "application/json"
	}
	return e, nil
}

// WriteTo streams the whole export to w, exportChunk tasks at a time, each
// chunk loaded, written and flushed before the next, so memory stays
// constant whatever the history length. Without a search text the tasks
// come straight from the store's per-user (and per-status) created_at
// index, one pass; with one, the index is paged with search_after and each
// page's tasks loaded from the store. A CSV starts with a UTF-8 byte order
// mark so spreadsheet programs read it as UTF-8.
func (e *Export) WriteTo(ctx context.Context, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	var (
		rows   func([]*domain.Task) error
		finish func() error
	)
	switch e.format {
	case FormatCSV:
		if _, err := bw.WriteString("\ufeff"); err != nil {
			return err
		}
		cw := csv.NewWriter(bw)
		if err := cw.Write(csvColumns); err != nil {
			return err
		}
		row := make([]string, len(csvColumns))
		rows = func(tasks []*domain.Task) error {
			for _, t := range tasks {
				csvRow(row, t)
				if err := cw.Write(row); err != nil {
					return err
				}
			}
			cw.Flush()
			return cw.Error()
		}
		finish = func() error { cw.Flush(); return cw.Error() }
	default:
		first := true
		enc := json.NewEncoder(bw)
		if _, err := bw.WriteString("["); err != nil {
			return err
		}
		rows = func(tasks []*domain.Task) error {
			for _, t := range tasks {
				if !first {
					if err := bw.WriteByte(','); err != nil {
						return err
					}
				}
				first = false
				if err := enc.Encode(t); err != nil {
					return err
				}
			}
			return nil
		}
		finish = func() error { _, err := bw.WriteString("]\n"); return err }
	}
	write := func(tasks []*domain.Task) error {
		if err := rows(tasks); err != nil {
			return err
		}
		return bw.Flush()
	}
	var err error
	if e.q.Q == "" {
		err = e.s.tasks.EachTask(ctx, e.userID, e.q.Status, e.q.From, e.q.To, exportChunk, write)
	} else {
		err = e.s.search.Scan(ctx, e.userID, e.q, exportChunk, func(ids []string) error {
			tasks, err := e.s.tasks.GetTasks(ctx, e.userID, ids)
			if err != nil {
				return err
			}
			return write(tasks)
		})
	}
	if err != nil {
		return fmt.Errorf("export history: %w", err)
	}
	if err := finish(); err != nil {
		return fmt.Errorf("export history: %w", err)
	}
	return bw.Flush()
}

// csvRow fills row with t's cells, neutralised against formula injection.
func csvRow(row []string, t *domain.Task) {
	completed := ""
	if t.CompletedAt != nil {
		completed = t.CompletedAt.UTC().Format(time.RFC3339)
	}
	row[0], row[1], row[2], row[3], row[4] = t.ID, t.Filename, string(t.Status), t.Engine, t.Lang
	row[5], row[6] = strconv.Itoa(t.PagesTotal), strconv.Itoa(t.PagesDone)
	row[7], row[8] = t.CreatedAt.UTC().Format(time.RFC3339), completed
	row[9], row[10] = strconv.FormatInt(t.DurationMS, 10), t.Error
	for i, c := range row {
		row[i] = SafeCell(c)
	}
}

// SafeCell neutralises a spreadsheet formula: a cell starting with = + - @
// tab or carriage return gets a leading apostrophe, which spreadsheet
// programs show as text (OWASP "CSV injection").
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
