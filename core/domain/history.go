package domain

import (
	"time"
	"unicode/utf8"
)

// Sort orders of task lists (ListQuery.Sort, SearchQuery.Sort).
const (
	SortCreatedAt = "created_at"
	SortFilename  = "filename"
	SortStatus    = "status"
	SortDuration  = "duration"
	SortPages     = "pages"
)

// MaxSearchBytes is the longest search text (SearchQuery.Q) accepted.
const MaxSearchBytes = 1024

// SearchQuery selects and orders one page of a user's task history.
type SearchQuery struct {
	// Q matches tasks whose filename words start with every word of Q, or
	// whose recognised text contains every word of Q; empty: no condition.
	// It is plain text, never query syntax.
	Q string
	// From and To bound created_at, both inclusive; zero means open.
	From, To time.Time
	// Status keeps only tasks in this status; empty: any.
	Status TaskStatus
	// Sort is created_at (default), filename, status, duration or pages; ties are
	// broken by task id, which is time-ordered.
	Sort string
	Desc bool
	// Offset and Limit select the page; Limit 0 means 20.
	Offset, Limit int
}

// Validate checks the parameters, answering ErrInvalid (422).
func (q SearchQuery) Validate() error {
	switch q.Sort {
	case "", SortCreatedAt, SortFilename, SortStatus, SortDuration, SortPages:
	default:
		return Errorf(ErrInvalid, CodeInvalidParameter, "sort must be created_at, filename, status, duration or pages")
	}
	if q.Status != "" && !q.Status.Valid() {
		return Errorf(ErrInvalid, CodeInvalidParameter, "status must be one of pending, processing, completed, failed, cancelled")
	}
	if err := CheckWindow(q.Offset, q.Limit); err != nil {
		return err
	}
	if len(q.Q) > MaxSearchBytes || !utf8.ValidString(q.Q) {
		return Errorf(ErrInvalid, CodeInvalidParameter, "q must be UTF-8 text of at most %d bytes", MaxSearchBytes)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.After(q.To) {
		return Errorf(ErrInvalid, CodeInvalidParameter, "from must not be after to")
	}
	return nil
}

// SearchDoc is what the search index holds about one task.
type SearchDoc struct {
	TaskID      string
	UserID      string
	Filename    string
	Status      TaskStatus
	CreatedAt   time.Time
	CompletedAt *time.Time
	DurationMS  int64
	Pages       int
	// Text is the recognised text: searchable, never stored in the index.
	Text string
}

// SearchDoc returns the index document of t with its recognised text.
func (t *Task) SearchDoc(text string) SearchDoc {
	return SearchDoc{TaskID: t.ID, UserID: t.UserID, Filename: t.Filename, Status: t.Status,
		CreatedAt: t.CreatedAt, CompletedAt: t.CompletedAt, DurationMS: t.DurationMS,
		Pages: t.PagesTotal, Text: text}
}

// TaskStats summarises a user's tasks (GET /history/stats).
type TaskStats struct {
	Total    int                `json:"total"`
	ByStatus map[TaskStatus]int `json:"by_status"`
	// Pages is the number of pages recognised.
	Pages int64 `json:"pages"`
	// Bytes is the size of all task files, inputs and results.
	Bytes int64 `json:"bytes"`
	// AvgDurationMS is the mean processing time of completed tasks.
	AvgDurationMS int64 `json:"avg_duration_ms"`
	// PerDay counts the tasks created on each of the last days (UTC, or
	// of the offset the caller asked for), oldest first, days without
	// tasks included.
	PerDay []DayCount `json:"per_day"`
}

// DayCount is the number of tasks created on one day (YYYY-MM-DD).
type DayCount struct {
	Date  string `json:"date"`
	Count int    `json:"count"`
}
