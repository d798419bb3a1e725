// Package worker runs OCR tasks. The queue is durable: pending tasks live in
// bbolt (tasks_by_status), so a restart loses nothing, and tasks left in
// processing by a crash are re-queued at start.
//
// Engine time is shared between people, not tasks: every page asks the
// fair-share scheduler (core/fairshare) for one of Workers slots, and a
// free slot goes to the person who has had the least page time. Tasks are
// opened (claimed from the queue) so that every person with queued work
// has one open task asking for slots, and more only while a slot would
// otherwise sit idle. Each page is retried with backoff for transient
// engine failures only (crash, timeout), up to MaxAttempts.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/fairshare"
	"github.com/ocrbox/ocrbox/core/pagehelper"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/plugins/host"
)

// Store is the durable queue and task record.
type Store interface {
	// PendingQueue lists the pending tasks, oldest QueuedAt first.
	PendingQueue(ctx context.Context) ([]domain.QueuedTask, error)
	// ClaimPending takes one pending task (nil if it is pending no more).
	ClaimPending(ctx context.Context, taskID string, now time.Time) (*domain.Task, error)
	RequeueProcessing(ctx context.Context, now time.Time) (int, error)
	GetTask(ctx context.Context, userID, taskID string) (*domain.Task, error)
	UpdateTask(ctx context.Context, userID, taskID string, fn func(*domain.Task) error) (*domain.Task, error)
}

// TaskFiles is the per-task file tree (storage/filestore).
type TaskFiles interface {
	Path(ctx context.Context, userID, taskID, name string) (string, error)
	Open(ctx context.Context, userID, taskID, name string) (*os.File, error)
	Create(ctx context.Context, userID, taskID, name string) (*os.File, error)
	WriteFileAtomic(ctx context.Context, userID, taskID, name string, data []byte) error
	Remove(ctx context.Context, userID, taskID, name string) error
	RemoveTask(ctx context.Context, userID, taskID string) error
}

// Engines hands out this server's engine processes.
type Engines interface {
	Acquire(ctx context.Context, engine string) (*host.Process, error)
	// TryAcquire takes a free process if one is free now, without waiting.
	TryAcquire(engine string) (*host.Process, bool)
	// Has reports whether the engine runs here.
	Has(engine string) bool
	Release(engine string, proc *host.Process)
	// AcceptsPath reports whether the engine reads pages from files
	// (sdk.EngineInfo.AcceptsPath); others get the page's bytes.
	AcceptsPath(engine string) bool
}

// Extractor decodes one page of an upload into a file an engine can read,
// outside the server process (pagehelper.Runner). Errors are *domain.Error
// for a page that cannot be read, or wrap domain.ErrTransient for a
// decoder that crashed or hung (the attempt is retried).
type Extractor interface {
	Extract(ctx context.Context, j pages.Job) (pages.Page, error)
}

// Publisher receives every task update (for the SSE streams).
type Publisher interface {
	Publish(t *domain.Task)
}

// Options tune the worker.
type Options struct {
	Workers     int
	MaxAttempts int
	PageTimeout time.Duration
	Limits      pages.Limits
	// PollInterval is how often an idle worker looks at the queue even
	// without a Kick; default 2s.
	PollInterval time.Duration
	// Backoff is the first retry delay of a failed page; default 500ms.
	Backoff time.Duration
	NewID   func() string
	// EngineHOCR asks the engine for its own hOCR (richer line attributes,
	// ~150 ms more per dense page with tesseract); otherwise the host
	// builds hOCR from the words and boxes the engine returns anyway.
	EngineHOCR bool
	// ReviewConfidence marks a completed task for review when a page's
	// mean word confidence is below it (0..100; 0: never).
	ReviewConfidence float64
	// Observer is told about pages and finished tasks (metrics); nil: nobody.
	Observer Observer
	// DiskWait is how long the worker claims no task after a full disk sent
	// one back to the queue; default 30s.
	DiskWait time.Duration
	// Extractor decodes pages; default: a pagehelper.Runner re-executing
	// this binary, with PageTimeout (at least 30s) and Limits.MaxMegapixels.
	Extractor Extractor
	// MaxRunningPagesPerUser caps the pages one person has in flight;
	// 0 = no cap (limits.max_running_pages_per_user).
	MaxRunningPagesPerUser int
	// Weight is a person's share of engine time relative to others
	// (default 1 for everyone).
	Weight func(userID string) float64
	// Nice is the page decoders' CPU priority (nice value); 0 = the
	// server's.
	Nice int
	// FIFO shares the engines as one line, oldest queued first, instead
	// of between people (ocr.scheduling = "fifo", for comparison).
	FIFO bool
	// MaxOpenTasks bounds the tasks claimed from the queue at once (each
	// holds an open document); default 4×Workers+16.
	MaxOpenTasks int
	// Remote hands pages to cluster worker nodes (core/cluster); nil: this
	// server's engines only. Its slots add to Workers in the fair-share
	// scheduler, so people share the whole cluster's engines.
	Remote Remote
	// ScratchDir holds the page files the extractor writes for the engines,
	// each removed when its page is done; New empties it, since a crash
	// leaves some behind. Default: a new temporary directory.
	ScratchDir string
	// PDFAssembler writes searchable PDFs outside the server process
	// (pagehelper.Runner). Default: the Extractor when it is one, else
	// the server itself assembles them.
	PDFAssembler PDFAssembler
}

// Observer counts recognised pages and tasks the worker finishes.
type Observer interface {
	PageDone(engine string, d time.Duration, err error)
	TaskFinished(status string, d time.Duration)
}

type noObserver struct{}

func (noObserver) PageDone(string, time.Duration, error) {}
func (noObserver) TaskFinished(string, time.Duration)    {}

// Worker claims pending tasks and processes them.
type Worker struct {
	store   Store
	files   TaskFiles
	engines Engines
	pub     Publisher
	opts    Options
	log     *slog.Logger

	kick chan struct{}
	// draining closes when shutdown begins: no new task or page starts,
	// pages already running finish (Drain).
	draining  chan struct{}
	drainOnce sync.Once

	// diskFullUntil (unix ns) pauses claiming while the disk is full.
	diskFullUntil atomic.Int64

	sched *fairshare.Scheduler
	// done is signalled when a task's run ends, so the dispatcher looks
	// at the queue again.
	done chan struct{}

	mu      sync.Mutex
	running map[string]*run
	wg      sync.WaitGroup

	positions positionCache

	// capacity is closed (and replaced) when the cluster's capacity
	// changes, waking pages that wait for an engine of theirs to be free.
	capMu    sync.Mutex
	capacity chan struct{}
}

// run is one open task; a pointer, so a finishing run removes only its own
// entry even if the task was retried and claimed again meanwhile.
type run struct {
	cancel context.CancelCauseFunc
	userID string
	// opening is set until the task first asks the scheduler for a slot
	// (or ends): it is about to, so the dispatcher counts it as demand and
	// does not open another task for the same idle slot.
	opening atomic.Bool
}

// errCancelled is the cause when a user cancels or deletes a running task.
var errCancelled = errors.New("task cancelled")

// errShutdown is the cause when the server stops while a task runs.
var errShutdown = errors.New("server shutting down")

// Drain starts a graceful stop: Run claims no more tasks, and running
// tasks start no new page; the pages already being recognised finish and
// their tasks go back to the queue with those pages kept. Cancelling Run's
// context afterwards (at the shutdown deadline) interrupts what is left.
func (w *Worker) Drain() {
	w.drainOnce.Do(func() { close(w.draining) })
}

// onDrain calls fn when Drain is called (at once if it was); the returned
// function stops waiting.
func (w *Worker) onDrain(fn func()) (stop func()) {
	quit := make(chan struct{})
	go func() {
		select {
		case <-w.draining:
			fn()
		case <-quit:
		}
	}()
	return func() { close(quit) }
}

// isDraining reports whether Drain was called.
func (w *Worker) isDraining() bool {
	select {
	case <-w.draining:
		return true
	default:
		return false
	}
}

// New builds a worker; call Run to start it.
func New(store Store, files TaskFiles, engines Engines, pub Publisher, opts Options, log *slog.Logger) *Worker {
	if opts.Workers < 1 {
		opts.Workers = 1
	}
	if opts.Observer == nil {
		opts.Observer = noObserver{}
	}
	if opts.MaxAttempts < 1 {
		opts.MaxAttempts = 1
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 2 * time.Second
	}
	if opts.Backoff == 0 {
		opts.Backoff = 500 * time.Millisecond
	}
	if opts.DiskWait == 0 {
		opts.DiskWait = 30 * time.Second
	}
	if opts.MaxOpenTasks < 1 {
		opts.MaxOpenTasks = 4*opts.Workers + 16
	}
	w := &Worker{store: store, files: files, engines: engines, pub: pub, opts: opts,
		log: log.With("component", "worker"), kick: make(chan struct{}, 1),
		draining: make(chan struct{}), done: make(chan struct{}, 1),
		sched: fairshare.New(fairshare.Options{Slots: opts.Workers,
			MaxRunningPerUser: opts.MaxRunningPagesPerUser, Weight: opts.Weight}),
		running: map[string]*run{}, capacity: make(chan struct{})}
	w.sched.SetSlots(w.slots())
	w.positions.moved = make(chan struct{}, 1)
	if w.opts.Extractor == nil {
		// A page decodes in well under a second, but the helper's start-up
		// alone can pass a short engine page timeout on a loaded machine.
		r, err := pagehelper.New(pagehelper.Options{Timeout: max(opts.PageTimeout, helperMinTimeout), Nice: opts.Nice,
			MaxMegapixels: opts.Limits.MaxMegapixels}, log)
		if err != nil {
			w.opts.Extractor = brokenExtractor{err}
		} else {
			w.opts.Extractor = r
		}
	}
	w.opts.ScratchDir = w.prepareScratch(opts.ScratchDir)
	return w
}

// helperMinTimeout is the least time a page helper gets by default.
const helperMinTimeout = 30 * time.Second

// prepareScratch makes the scratch directory (0700) and removes what a
// previous run left in it; with none given it makes a temporary one.
func (w *Worker) prepareScratch(dir string) string {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "ocrbox-pages-")
		if err != nil {
			w.log.Error("make page scratch directory", "error", err)
			return os.TempDir()
		}
		return tmp
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		w.log.Error("make page scratch directory", "error", err)
		return dir
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.log.Error("read page scratch directory", "error", err)
		return dir
	}
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
	if len(entries) > 0 {
		w.log.Info("removed page files left by a previous run", "count", len(entries))
	}
	return dir
}

// brokenExtractor stands in when no page helper could be set up: every
// page fails with the reason, and the server keeps running.
type brokenExtractor struct{ err error }

func (b brokenExtractor) Extract(context.Context, pages.Job) (pages.Page, error) {
	return pages.Page{}, fmt.Errorf("page helper unavailable: %w", b.err)
}

// Kick wakes the dispatcher because a task became pending.
func (w *Worker) Kick() {
	w.positions.invalidate()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Cancel stops the work on a task, if it is running here.
func (w *Worker) Cancel(taskID string) {
	w.mu.Lock()
	r := w.running[taskID]
	w.mu.Unlock()
	if r != nil {
		r.cancel(errCancelled)
	}
}

// Running counts the tasks in progress.
func (w *Worker) Running() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.running)
}

// Run re-queues tasks a crash left in processing, then opens queued tasks
// until ctx ends: for every person with queued work and no open task at
// once, and for anyone (least served first) while an engine slot would
// otherwise sit idle. On return every running task has stopped; the ones
// interrupted by shutdown are back in the queue.
func (w *Worker) Run(ctx context.Context) error {
	n, err := w.store.RequeueProcessing(ctx, time.Now().UTC())
	if err != nil {
		return err
	}
	if n > 0 {
		w.log.Info("re-queued tasks interrupted by a restart", "count", n)
	}
	ticker := time.NewTicker(w.opts.PollInterval)
	defer ticker.Stop()
	defer w.wg.Wait()
	go w.announcePositions(ctx)
	if w.opts.Remote != nil {
		go w.followCapacity(ctx)
	}
	for {
		if ctx.Err() != nil || w.isDraining() {
			return nil // the deferred Wait lets running tasks reach a page boundary
		}
		if wait := time.Until(time.Unix(0, w.diskFullUntil.Load())); wait > 0 {
			// The disk is full: tasks wait in the queue, none fails for it.
			select {
			case <-ctx.Done():
				return nil
			case <-w.draining:
				return nil
			case <-time.After(wait):
			}
			continue
		}
		opened, err := w.openNext(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Error("claim next task", "error", err)
		}
		if opened {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.draining:
			return nil
		case <-w.kick:
		case <-w.done:
		case <-w.sched.Freed():
		case <-ticker.C:
		}
	}
}

// person is whom the scheduler shares between: the user, or one line for
// everyone under FIFO.
func (w *Worker) person(userID string) string {
	if w.opts.FIFO {
		return ""
	}
	return userID
}

// openNext claims one queued task if the rules allow it and starts it. It
// reports whether it claimed one (the caller then looks again at once).
func (w *Worker) openNext(ctx context.Context) (bool, error) {
	w.mu.Lock()
	open := len(w.running)
	openBy := make(map[string]int, open)
	opening := 0
	for _, r := range w.running {
		openBy[w.person(r.userID)]++
		if r.opening.Load() {
			opening++
		}
	}
	w.mu.Unlock()
	if open >= w.opts.MaxOpenTasks {
		return false, nil
	}
	queue, err := w.store.PendingQueue(ctx)
	if err != nil || len(queue) == 0 {
		return false, err
	}
	// Each person's oldest queued task, people in order of their oldest.
	heads := map[string]domain.QueuedTask{}
	var people []string
	for _, q := range queue {
		who := w.person(q.UserID)
		if _, ok := heads[who]; !ok {
			heads[who] = q
			people = append(people, who)
		}
	}
	w.sched.Order(people) // least served first; ties stay oldest first
	pick, found := "", false
	for _, id := range people {
		if openBy[id] == 0 {
			pick, found = id, true // someone with queued work and nothing open: always
			break
		}
	}
	if !found && w.sched.Spare(opening) > 0 {
		pick, found = people[0], true // an engine would sit idle: the least served may open more
	}
	if !found {
		return false, nil
	}
	t, err := w.store.ClaimPending(ctx, heads[pick].ID, time.Now().UTC())
	if err != nil {
		return false, err
	}
	if t == nil {
		// Cancelled or deleted since the queue was read (that wakes the
		// loop again), or an index out of step with its record: wait for
		// the next wake rather than spin on the same head.
		return false, nil
	}
	w.positions.invalidate()
	w.start(ctx, t)
	return true, nil
}

func (w *Worker) start(parent context.Context, t *domain.Task) {
	// The task's context is not a child of parent: shutdown is signalled as
	// a cause so the task can tell it from a user's cancel.
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	r := &run{cancel: cancel, userID: t.UserID}
	r.opening.Store(true)
	w.mu.Lock()
	w.running[t.ID] = r
	w.mu.Unlock()
	stop := context.AfterFunc(parent, func() { cancel(errShutdown) })
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer stop()
		defer func() {
			w.mu.Lock()
			if w.running[t.ID] == r {
				delete(w.running, t.ID)
			}
			w.mu.Unlock()
			cancel(nil)
			select {
			case w.done <- struct{}{}:
			default:
			}
		}()
		w.pub.Publish(t)
		w.process(ctx, t, r)
	}()
}
