package boltstore

import (
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// taskRecord is the stored form of a task. domain.Task hides UserID,
// QueuedAt and the files' StoredName from its API JSON; storage keeps them.
type taskRecord struct {
	ID       string            `json:"id"`
	UserID   string            `json:"user_id"`
	Filename string            `json:"filename"`
	Status   domain.TaskStatus `json:"status"`
	Engine   string            `json:"engine"`
	Lang     string            `json:"lang"`
	Outputs  []domain.FileKind `json:"outputs"`
	// NoAutorotate is stored negated so records written before the field
	// existed read as autorotate on, the default.
	NoAutorotate bool `json:"no_autorotate,omitempty"`
	// PDFOutput is empty in records written before the field existed; they
	// read as the default, PDF/A.
	PDFOutput domain.PDFOutput `json:"pdf_output,omitempty"`
	// PDFText is empty in records written before the field existed; they
	// read as the default, skip.
	PDFText    domain.PDFText `json:"pdf_text,omitempty"`
	PagesTotal int            `json:"pages_total"`
	PagesDone  int            `json:"pages_done"`
	Attempts   int            `json:"attempts"`
	Error      string         `json:"error,omitempty"`
	ErrorCode  string         `json:"error_code,omitempty"`
	// Permanent marks a failure a retry cannot change (Task.Retryable
	// false); records written before it existed read as retryable, as
	// every failure was then.
	Permanent   bool           `json:"permanent,omitempty"`
	Review      *domain.Review `json:"review,omitempty"`
	InputBytes  int64          `json:"input_bytes"`
	CreatedAt   time.Time      `json:"created_at"`
	QueuedAt    time.Time      `json:"queued_at"`
	StartedAt   *time.Time     `json:"started_at,omitempty"`
	CompletedAt *time.Time     `json:"completed_at,omitempty"`
	DurationMS  int64          `json:"duration_ms"`
	Files       []fileRecord   `json:"files"`
}

// fileRecord is the stored form of a file: inside its task record, and in
// task_files with TaskID and UserID set.
type fileRecord struct {
	ID          string          `json:"id"`
	TaskID      string          `json:"task_id,omitempty"`
	UserID      string          `json:"user_id,omitempty"`
	Kind        domain.FileKind `json:"kind"`
	Name        string          `json:"name"`
	StoredName  string          `json:"stored_name"`
	Size        int64           `json:"size"`
	ContentType string          `json:"content_type"`
	SHA256      string          `json:"sha256,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
}

func recordFromFile(f domain.File) fileRecord {
	return fileRecord{
		ID: f.ID, Kind: f.Kind, Name: f.Name, StoredName: f.StoredName, Size: f.Size,
		ContentType: f.ContentType, SHA256: f.SHA256, CreatedAt: f.CreatedAt,
	}
}

func (r fileRecord) file(taskID, userID string) domain.File {
	return domain.File{
		ID: r.ID, TaskID: taskID, UserID: userID, Kind: r.Kind, Name: r.Name,
		Size: r.Size, ContentType: r.ContentType, SHA256: r.SHA256,
		CreatedAt: r.CreatedAt, StoredName: r.StoredName,
	}
}

func recordFromTask(t *domain.Task) *taskRecord {
	r := &taskRecord{
		ID: t.ID, UserID: t.UserID, Filename: t.Filename, Status: t.Status,
		Engine: t.Engine, Lang: t.Lang, Outputs: t.Outputs, NoAutorotate: !t.Autorotate, PDFOutput: t.PDFOutput, PDFText: t.PDFText, PagesTotal: t.PagesTotal,
		PagesDone: t.PagesDone, Attempts: t.Attempts, Error: t.Error, ErrorCode: t.ErrorCode,
		Permanent: t.Status == domain.StatusFailed && !t.Retryable, Review: t.Review,
		InputBytes: t.InputBytes, CreatedAt: t.CreatedAt, QueuedAt: t.QueuedAt,
		StartedAt: t.StartedAt, CompletedAt: t.CompletedAt, DurationMS: t.DurationMS,
	}
	for _, f := range t.Files {
		r.Files = append(r.Files, recordFromFile(f))
	}
	return r
}

func (r *taskRecord) task() *domain.Task {
	t := &domain.Task{
		ID: r.ID, UserID: r.UserID, Filename: r.Filename, Status: r.Status,
		Engine: r.Engine, Lang: r.Lang, Outputs: r.Outputs, Autorotate: !r.NoAutorotate, PDFOutput: r.PDFOutput, PDFText: r.PDFText, PagesTotal: r.PagesTotal,
		PagesDone: r.PagesDone, Attempts: r.Attempts, Error: r.Error, ErrorCode: r.ErrorCode,
		Retryable:  (r.Status == domain.StatusFailed || r.Status == domain.StatusCancelled) && !r.Permanent,
		Review:     r.Review,
		InputBytes: r.InputBytes, CreatedAt: r.CreatedAt, QueuedAt: r.QueuedAt,
		StartedAt: r.StartedAt, CompletedAt: r.CompletedAt, DurationMS: r.DurationMS,
	}
	if t.PDFOutput == "" {
		t.PDFOutput = domain.PDFOutputPDFA
	}
	if t.PDFText == "" {
		t.PDFText = domain.PDFTextSkip
	}
	for _, f := range r.Files {
		t.Files = append(t.Files, f.file(r.ID, r.UserID))
	}
	return t
}

// validTask checks what the keys and indexes depend on.
func validTask(t *domain.Task) error {
	if err := checkID("task", t.ID); err != nil {
		return err
	}
	if err := checkID("user", t.UserID); err != nil {
		return err
	}
	if !t.Status.Valid() {
		return fmt.Errorf("task status %q: %w", t.Status, domain.ErrInvalid)
	}
	if t.CreatedAt.IsZero() {
		return fmt.Errorf("task created_at unset: %w", domain.ErrInvalid)
	}
	seen := make(map[string]bool, len(t.Files))
	for _, f := range t.Files {
		if err := checkID("file", f.ID); err != nil {
			return err
		}
		if seen[f.ID] {
			return fmt.Errorf("file id %s twice in task: %w", f.ID, domain.ErrInvalid)
		}
		seen[f.ID] = true
	}
	return nil
}
