// Package tasks is the task service: it accepts uploads, validates them,
// stores the input, queues the task for the worker, and answers the
// per-user queries of the REST API. Every method takes the caller's user id;
// the store enforces that nobody reaches another user's task.
package tasks

import (
	"context"
	"os"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Store is the persistence the service needs (implemented by boltstore).
type Store interface {
	// CreateTaskLimited stores a new task unless it would take the user
	// past the quota (zero fields = no limit); the check and the insert are
	// one transaction.
	CreateTaskLimited(ctx context.Context, t *domain.Task, q domain.Quota) error
	GetTask(ctx context.Context, userID, taskID string) (*domain.Task, error)
	UpdateTask(ctx context.Context, userID, taskID string, fn func(*domain.Task) error) (*domain.Task, error)
	DeleteTask(ctx context.Context, userID, taskID string) (*domain.Task, error)
	ListTasks(ctx context.Context, userID string, q domain.ListQuery) ([]*domain.Task, int, error)
	CountTasks(ctx context.Context, userID string) (int, error)
	// StoredBytes is the size of all the user's task files (user_stats).
	StoredBytes(ctx context.Context, userID string) (int64, error)
}

// TaskFiles is the per-task file tree (implemented by filestore).
type TaskFiles interface {
	MakeTaskDir(ctx context.Context, userID, taskID string) error
	Create(ctx context.Context, userID, taskID, name string) (*os.File, error)
	Open(ctx context.Context, userID, taskID, name string) (*os.File, error)
	Remove(ctx context.Context, userID, taskID, name string) error
	RemoveTask(ctx context.Context, userID, taskID string) error
	List(ctx context.Context, userID, taskID string) ([]string, error)
	Path(ctx context.Context, userID, taskID, name string) (string, error)
}

// Engines validates an upload's engine, languages and outputs.
type Engines interface {
	Validate(ctx context.Context, engine, lang string, outputs []domain.FileKind) error
}

// Runner is the worker as the service sees it.
type Runner interface {
	// Kick wakes the worker because a task became pending.
	Kick()
	// Cancel stops a running task's work, if any.
	Cancel(taskID string)
	// QueuePosition is a pending task's estimated place in line (1 = next),
	// 0 if it is not queued.
	QueuePosition(ctx context.Context, taskID string) int
}

// Inspector reads a stored input's headers (no pixel decoding) and returns
// its page count. A *domain.Error of kind ErrTooLarge refuses the upload;
// ErrBadInput lets it through so the task fails with a readable error.
type Inspector func(ctx context.Context, path, contentType string) (pages int, err error)

// Sniffer returns the content type of a file from its first bytes.
type Sniffer func(head []byte) (string, error)

// Options are the service's limits and defaults.
type Options struct {
	DefaultEngine   string
	DefaultLang     string
	DefaultOutputs  []domain.FileKind
	MaxUploadBytes  int64
	MaxTasksPerUser int
	// MaxStorageBytesPerUser caps the bytes of task files a user keeps
	// (inputs and results); 0 = unlimited. Uploads past it get 429.
	MaxStorageBytesPerUser int64
	// Observer is told about created and cancelled tasks (metrics); nil: nobody.
	Observer Observer
	// EnginePageBytes, when set, returns the largest page image an engine
	// can be sent (engines that take pages as bytes in one gRPC message),
	// 0 for no limit. A single-page upload larger than that is refused
	// with 413: it would be handed on as uploaded and could never be sent.
	EnginePageBytes func(engine string) int64
}

// Observer counts tasks created and cancelled through the service.
type Observer interface {
	TaskCreated()
	TaskFinished(status string, d time.Duration)
}

type noObserver struct{}

func (noObserver) TaskCreated()                       {}
func (noObserver) TaskFinished(string, time.Duration) {}

// Service implements the task operations.
type Service struct {
	store   Store
	files   TaskFiles
	engines Engines
	runner  Runner
	broker  Events
	search  Searcher // nil: every order is served by the store
	inspect Inspector
	sniff   Sniffer
	newID   func() string
	opts    Options
	now     func() time.Time
}

// NewService wires the service from its dependencies.
func NewService(store Store, files TaskFiles, engines Engines, runner Runner, broker Events,
	sniff Sniffer, inspect Inspector, newID func() string, opts Options) *Service {
	if opts.Observer == nil {
		opts.Observer = noObserver{}
	}
	return &Service{store: store, files: files, engines: engines, runner: runner, broker: broker,
		sniff: sniff, inspect: inspect, newID: newID, opts: opts, now: time.Now}
}

// SetRunner attaches the worker after construction (the worker needs the
// broker, the service needs the worker).
func (s *Service) SetRunner(r Runner) { s.runner = r }
