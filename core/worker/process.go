package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/fairshare"
	"github.com/ocrbox/ocrbox/core/pages"
)

// process runs one claimed task to a terminal state, or back to pending
// when the server shuts down under it.
func (w *Worker) process(ctx context.Context, t *domain.Task, r *run) {
	log := w.log.With("task_id", t.ID, "user_id", t.UserID)
	log.Info("task started", "filename_bytes", len(t.Filename), "engine", t.Engine, "lang", t.Lang, "attempt", t.Attempts)
	err := w.run(ctx, t, r, log)
	if err == nil {
		return
	}
	bg := context.WithoutCancel(ctx)
	cause := context.Cause(ctx)
	if cause == nil && errors.Is(err, errShutdown) {
		cause = err // drained at a page boundary, not interrupted
	}
	switch {
	case errors.Is(cause, errCancelled):
		log.Info("task cancelled")
		return
	case errors.Is(cause, errShutdown):
		now := time.Now().UTC()
		w.update(bg, t, func(x *domain.Task) error { return apply(x, domain.Requeue(""), now) })
		log.Info("task re-queued for shutdown")
		return
	}
	if errors.Is(err, domain.ErrNotFound) || errors.Is(err, errCancelled) {
		return // deleted or cancelled while we worked
	}
	if domain.DiskFull(err) {
		// Not the task's fault and not permanent: back to the queue with the
		// pages it finished, and no task is claimed until DiskWait passed.
		w.diskFullUntil.Store(time.Now().Add(w.opts.DiskWait).UnixNano())
		now := time.Now().UTC()
		w.update(bg, t, func(x *domain.Task) error { return apply(x, domain.Requeue(diskWaitMessage), now) })
		log.Warn("task waits for disk space", "error", err, "retry_in", w.opts.DiskWait.String())
		return
	}
	msg := userMessage(err)
	code, retryable := failure(err)
	log.Warn("task failed", "error", err, "retryable", retryable)
	now := time.Now().UTC()
	if nt, err := w.update(bg, t, func(x *domain.Task) error { return apply(x, domain.FailWith(msg, code, retryable), now) }); err == nil {
		w.opts.Observer.TaskFinished(string(domain.StatusFailed), nt.RunTime())
	}
}

// diskWaitMessage is shown on a task that waits for disk space.
const diskWaitMessage = "waiting: the server's disk is full; the task resumes when space is freed"

// userMessage turns an error into text fit for the task's error field:
// domain errors carry their own message; anything else (file system and
// database errors, which name internal paths) is summarised, and the log
// has the detail.
func userMessage(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Message
	}
	return "the server could not process this task because of an internal error; it is in the server log"
}

// update applies fn to the stored task and publishes the result.
func (w *Worker) update(ctx context.Context, t *domain.Task, fn func(*domain.Task) error) (*domain.Task, error) {
	nt, err := w.store.UpdateTask(ctx, t.UserID, t.ID, fn)
	if err != nil {
		return nil, err
	}
	w.pub.Publish(nt)
	return nt, nil
}

// apply moves x through ev (domain.Task.Apply, the one place a task's
// status changes). A refusal means the task is no longer processing — the
// user cancelled or retried it meanwhile — and aborts the update with
// errCancelled.
func apply(x *domain.Task, ev domain.Event, now time.Time) error {
	var refused *domain.TransitionError
	if err := x.Apply(ev, now); errors.As(err, &refused) {
		return errCancelled
	} else if err != nil {
		return err
	}
	return nil
}

func (w *Worker) run(ctx context.Context, t *domain.Task, r *run, log *slog.Logger) error {
	in, ok := t.InputFile()
	if !ok {
		return domain.Errorf(domain.ErrBadInput, domain.CodeUnreadableInput, "the task has no input file")
	}
	path, err := w.files.Path(ctx, t.UserID, t.ID, in.StoredName)
	if err != nil {
		return fmt.Errorf("locate input: %w", err)
	}
	doc, err := pages.Open(ctx, path, in.ContentType, w.opts.Limits)
	if err != nil {
		return err
	}
	defer doc.Close()
	total := doc.PageCount()
	done := make([]bool, total)
	nDone := 0
	for i := range total {
		if ok, _ := w.pageDone(ctx, t, i+1); ok {
			done[i] = true
			nDone++
		}
	}
	if _, err := w.update(ctx, t, func(x *domain.Task) error {
		return apply(x, domain.Start(total, nDone), time.Now().UTC())
	}); err != nil {
		return err
	}
	if err := w.recognizeAll(ctx, t, r, doc, done, log); err != nil {
		return err
	}
	return w.finish(ctx, t, total, log)
}

// recognizeAll decodes and recognises the task's pages, each as soon as
// the fair-share scheduler grants it an engine slot (so several at once
// when slots are free), each decoded by its own page helper process; the
// first error stops the rest.
func (w *Worker) recognizeAll(ctx context.Context, t *domain.Task, r *run, doc *pages.Document, done []bool, log *slog.Logger) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// Draining ends the wait for a slot, not the pages already running.
	askCtx, stopAsking := context.WithCancelCause(ctx)
	defer stopAsking(nil)
	stopDrain := w.onDrain(func() { stopAsking(errShutdown) })
	defer stopDrain()
	errc := make(chan error, len(done))
	pending := 0
	drained := false
	for i := range done {
		if done[i] {
			continue
		}
		g, err := w.sched.Acquire(askCtx, w.person(t.UserID), fairshare.Priority{QueuedAt: t.QueuedAt, Page: i})
		r.opening.Store(false)
		if ctx.Err() != nil {
			if g != nil {
				g.Release(0)
			}
			break
		}
		if err != nil || w.isDraining() {
			// Shutdown: start no new page; the running ones finish below.
			if g != nil {
				g.Release(0)
			}
			drained = true
			break
		}
		pending++
		go func() {
			err := w.doPage(ctx, t, doc, i, log)
			cost := g.Held()
			if err != nil && ctx.Err() != nil {
				cost = 0 // cut short: charged as estimated
			}
			g.Release(cost)
			if err != nil {
				cancel(err)
			}
			errc <- err
		}()
	}
	var first error
	for range pending {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	if first == nil {
		first = context.Cause(ctx) // nil unless cancelled
	}
	if first == nil && drained {
		first = errShutdown
	}
	return first
}
