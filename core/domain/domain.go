// Package domain holds the types shared by ocrbox's services and storage, and
// the sentinel errors that the HTTP layer maps to status codes in one place.
// It imports only the standard library.
package domain

import "time"

// TaskStatus is where a task is in its lifecycle (DESIGN.md §8).
type TaskStatus string

// Task statuses.
const (
	StatusPending    TaskStatus = "pending"
	StatusProcessing TaskStatus = "processing"
	StatusCompleted  TaskStatus = "completed"
	StatusFailed     TaskStatus = "failed"
	StatusCancelled  TaskStatus = "cancelled"
)

// Valid reports whether s is one of the known statuses.
func (s TaskStatus) Valid() bool {
	switch s {
	case StatusPending, StatusProcessing, StatusCompleted, StatusFailed, StatusCancelled:
		return true
	}
	return false
}

// Terminal reports whether no further work happens to a task in this status.
func (s TaskStatus) Terminal() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

// FileKind says what a task file holds.
type FileKind string

// File kinds: the uploaded input and the outputs the host assembles.
const (
	KindInput FileKind = "input"
	KindTxt   FileKind = "txt"
	KindHOCR  FileKind = "hocr"
	KindJSON  FileKind = "json"
	KindPDF   FileKind = "pdf"
)

// OutputKinds lists the outputs a task can ask for, in their canonical order.
var OutputKinds = []FileKind{KindTxt, KindHOCR, KindJSON, KindPDF}

// User is a person known to ocrbox, identified by email. The record is created
// at first sign-in and updated at later ones.
type User struct {
	ID        string            `json:"id"`
	Email     string            `json:"email"`
	Name      string            `json:"name"`
	Provider  string            `json:"provider"`
	Extra     map[string]string `json:"extra,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	LastLogin time.Time         `json:"last_login,omitempty"`
}

// Session is a signed-in browser or API client. Only the SHA-256 hash of the
// opaque token is stored.
type Session struct {
	TokenHash  string    `json:"-"`
	UserID     string    `json:"user_id"`
	Provider   string    `json:"provider"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeen   time.Time `json:"last_seen"`
	ExpiresAt  time.Time `json:"expires_at"`
	IdleExpiry time.Time `json:"idle_expiry"`
	// RefreshHash is the SHA-256 of the refresh token issued with the session.
	RefreshHash string `json:"refresh_hash,omitempty"`
	// ProviderTokens are the provider's access, ID and refresh tokens,
	// sealed with AES-256-GCM (core/tokenvault); empty for providers that
	// issue none (local, LDAP).
	ProviderTokens []byte `json:"provider_tokens,omitempty"`
	// ProviderExpiry is when the provider's access token expires; the
	// refresher renews it before then, and the session ends if it cannot.
	ProviderExpiry time.Time `json:"provider_expiry,omitempty"`
	// ProviderDown: the last renewal failed because the provider could not
	// be reached; the session then outlives ProviderExpiry by the outage
	// grace instead of ending with it.
	ProviderDown bool `json:"provider_down,omitempty"`
	// RefreshFailures counts consecutive failed renewals (for backoff).
	RefreshFailures int       `json:"refresh_failures,omitempty"`
	NextRefresh     time.Time `json:"next_refresh,omitempty"`
}

// File is one stored file of a task: the input or an output.
type File struct {
	ID          string    `json:"id"`
	TaskID      string    `json:"-"`
	UserID      string    `json:"-"`
	Kind        FileKind  `json:"kind"`
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	SHA256      string    `json:"sha256,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	// StoredName is the server-made file name inside the task directory; it
	// never comes from the client.
	StoredName string `json:"-"`
}

// Task is one uploaded document and the OCR work done on it.
type Task struct {
	ID       string     `json:"id"`
	UserID   string     `json:"-"`
	Filename string     `json:"filename"`
	Status   TaskStatus `json:"status"`
	Engine   string     `json:"engine"`
	Lang     string     `json:"lang"`
	Outputs  []FileKind `json:"outputs"`
	// Autorotate asks the engine to turn pages upright (0/90/180/270 and
	// skew) before recognising them; on unless the upload said otherwise.
	Autorotate bool `json:"autorotate"`
	// PDFOutput is the kind of searchable PDF the task makes: PDFOutputPDFA
	// (PDF/A-2B, the default) or PDFOutputPDF (plain PDF, no archival
	// markers).
	PDFOutput PDFOutput `json:"pdf_output"`
	// PDFText says what a PDF's own text layer is used for: PDFTextSkip
	// (the default: pages with text are read from it, not OCRed),
	// PDFTextRedo (an invisible OCR layer is redone) or PDFTextForce (every
	// page is rasterised and OCRed).
	PDFText    PDFText `json:"pdf_text"`
	PagesTotal int     `json:"pages_total"`
	PagesDone  int     `json:"pages_done"`
	Attempts   int     `json:"attempts"`
	Error      string  `json:"error"`
	// ErrorCode is a failed task's error code (e.g. unreadable_input,
	// engine_failed; "" when none or unknown); Retryable says whether
	// running it again can help: true for a cancelled task and a failure
	// that may pass (an engine crash, a timeout, a server fault), false for
	// a document that fails the same way every time (corrupt, too large).
	// POST retry refuses a task that is not Retryable unless forced.
	ErrorCode string `json:"error_code"`
	Retryable bool   `json:"retryable"`
	// Review, on a completed task, says its result needs a look before it
	// is trusted: pages whose mean word confidence is under the server's
	// threshold (ocr.review_confidence). Nil when nothing is suspicious.
	Review      *Review    `json:"review"`
	InputBytes  int64      `json:"input_bytes"`
	CreatedAt   time.Time  `json:"created_at"`
	QueuedAt    time.Time  `json:"-"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	DurationMS  int64      `json:"duration_ms"`
	Files       []File     `json:"files"`
	// QueuePosition is, for a pending task, its estimated place in the line
	// (1 = starts on the next free engine), from the fair-share scheduler
	// at the time of reading; 0 otherwise. Never stored.
	QueuePosition int `json:"queue_position,omitempty"`
}

// Review is why a completed task's result should be checked (Task.Review).
type Review struct {
	// Reason is one sentence for a person, e.g. "page 2: mean confidence
	// 41 % (below 60 %)".
	Reason string `json:"reason"`
	// Threshold is the mean confidence (0..100) a page needed.
	Threshold float64 `json:"threshold"`
	// Pages are the pages below it, in order.
	Pages []ReviewPage `json:"pages"`
}

// ReviewPage is one page below the review threshold.
type ReviewPage struct {
	Page           int     `json:"page"`            // 1-based
	MeanConfidence float64 `json:"mean_confidence"` // 0..100
}

// Clone returns a deep copy, so a task can be handed to another goroutine.
func (t *Task) Clone() *Task {
	c := *t
	c.Outputs = append([]FileKind(nil), t.Outputs...)
	c.Files = append([]File(nil), t.Files...)
	if t.Review != nil {
		r := *t.Review
		r.Pages = append([]ReviewPage(nil), t.Review.Pages...)
		c.Review = &r
	}
	if t.StartedAt != nil {
		v := *t.StartedAt
		c.StartedAt = &v
	}
	if t.CompletedAt != nil {
		v := *t.CompletedAt
		c.CompletedAt = &v
	}
	return &c
}

// FileByID returns the task's file with the given id.
func (t *Task) FileByID(id string) (File, bool) {
	for _, f := range t.Files {
		if f.ID == id {
			return f, true
		}
	}
	return File{}, false
}

// InputFile returns the task's uploaded input.
func (t *Task) InputFile() (File, bool) {
	for _, f := range t.Files {
		if f.Kind == KindInput {
			return f, true
		}
	}
	return File{}, false
}

// Wants reports whether the task asked for the given output.
func (t *Task) Wants(kind FileKind) bool {
	for _, k := range t.Outputs {
		if k == kind {
			return true
		}
	}
	return false
}

// QueuedTask is one pending task as the scheduler sees it: whose it is and
// when it joined the queue (storage order within the queue).
type QueuedTask struct {
	ID       string
	UserID   string
	QueuedAt time.Time
}

// PDFOutput is the flavour of a task's searchable PDF.
type PDFOutput string

// The searchable PDF flavours: PDF/A-2B by default, plain PDF on request.
const (
	PDFOutputPDFA PDFOutput = "pdfa"
	PDFOutputPDF  PDFOutput = "pdf"
)

// PDFText is what a task does with a PDF's own text layer (issue 14 §2,
// OCRmyPDF's --skip-text / --redo-ocr / --force-ocr).
type PDFText string

// The pdf_text modes.
const (
	// PDFTextSkip reads a page with text (visible, or an invisible OCR
	// layer) from that text, with its positions; pages without are OCRed.
	PDFTextSkip PDFText = "skip"
	// PDFTextRedo reads only pages with visible text from their text; a
	// page whose only text is invisible (an earlier OCR layer) is OCRed
	// again, as are pages without text.
	PDFTextRedo PDFText = "redo"
	// PDFTextForce rasterises and OCRs every page, text or not.
	PDFTextForce PDFText = "force"
)
