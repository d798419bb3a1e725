package domain

import (
	"fmt"
	"strings"
	"time"
)

// EventKind names something that happens to a task. Task.Apply is the one
// place a task changes status or any field derived from its lifecycle.
type EventKind string

// Task events, in the order they happen to a task.
const (
	// EventClaim: a worker takes a pending task.
	EventClaim EventKind = "claim"
	// EventStart: the worker opened the document and counted its pages,
	// and those an earlier run already recognised.
	EventStart EventKind = "start"
	// EventPageDone: one more page is recognised and stored.
	EventPageDone EventKind = "page_done"
	// EventComplete: every page is done and the outputs are stored.
	EventComplete EventKind = "complete"
	// EventFail: the task cannot be done (unreadable input, an engine
	// that keeps failing, an internal error).
	EventFail EventKind = "fail"
	// EventCancel: the user stopped the task.
	EventCancel EventKind = "cancel"
	// EventRetry: the user queues a failed or cancelled task again.
	EventRetry EventKind = "retry"
	// EventRequeue: the task goes back to the queue keeping its progress
	// and its place in line: the server shuts down or restarts under it,
	// or the disk is full.
	EventRequeue EventKind = "requeue"
)

// EventKinds lists every event kind, in the order above.
var EventKinds = []EventKind{EventClaim, EventStart, EventPageDone, EventComplete, EventFail, EventCancel, EventRetry, EventRequeue}

// Statuses lists every task status, in lifecycle order.
var Statuses = []TaskStatus{StatusPending, StatusProcessing, StatusCompleted, StatusFailed, StatusCancelled}

// transitions is the task state machine: for each event, the status it
// moves a task to from each status that allows it. Any pair not listed is
// refused.
var transitions = map[EventKind]map[TaskStatus]TaskStatus{
	EventClaim:    {StatusPending: StatusProcessing},
	EventStart:    {StatusProcessing: StatusProcessing},
	EventPageDone: {StatusProcessing: StatusProcessing},
	EventComplete: {StatusProcessing: StatusCompleted},
	EventFail:     {StatusProcessing: StatusFailed},
	EventCancel:   {StatusPending: StatusCancelled, StatusProcessing: StatusCancelled},
	EventRetry:    {StatusFailed: StatusPending, StatusCancelled: StatusPending},
	EventRequeue:  {StatusProcessing: StatusPending},
}

// verbs complete "only … tasks can …" in a refusal.
var verbs = map[EventKind]string{
	EventClaim: "be claimed", EventStart: "be started", EventPageDone: "have a page done",
	EventComplete: "be completed", EventFail: "fail", EventCancel: "be cancelled",
	EventRetry: "be retried", EventRequeue: "be re-queued",
}

// Next returns the status event kind ev moves a task in status from to,
// and whether the state machine allows it at all.
func Next(from TaskStatus, ev EventKind) (TaskStatus, bool) {
	to, ok := transitions[ev][from]
	return to, ok
}

// Event is one thing happening to a task, with what it brings. Build it
// with the constructors (Claim, Start, …).
type Event struct {
	Kind EventKind
	// Message is the task's error text after a Fail, Cancel or Requeue
	// ("" for none).
	Message string
	// Code is a Fail's error code (Task.ErrorCode), Retryable whether
	// running the task again can help (Task.Retryable).
	Code      string
	Retryable bool
	// Pages is the document's page count (Start, Complete); Done the pages
	// an earlier run already recognised (Start).
	Pages, Done int
	// Files are the outputs (Complete); they replace every file but the
	// input.
	Files []File
	// Review is a Complete's verdict on the result (Task.Review); nil when
	// nothing needs checking.
	Review *Review
}

// Claim is a worker taking a pending task.
func Claim() Event { return Event{Kind: EventClaim} }

// Start is the worker having counted the document's pages and the ones
// an earlier run left done.
func Start(pages, done int) Event { return Event{Kind: EventStart, Pages: pages, Done: done} }

// PageDone is one more page recognised and stored.
func PageDone() Event { return Event{Kind: EventPageDone} }

// Complete is the task done: all its pages, with these output files.
func Complete(pages int, outputs []File) Event {
	return Event{Kind: EventComplete, Pages: pages, Files: outputs}
}

// Fail is the task failing for good, telling the user why; a retry may
// help (FailWith says otherwise).
func Fail(message string) Event { return Event{Kind: EventFail, Message: message, Retryable: true} }

// FailWith is Fail with the error's code and whether a retry can help:
// not for a document that cannot be read, a retry would fail the same way.
func FailWith(message, code string, retryable bool) Event {
	return Event{Kind: EventFail, Message: message, Code: code, Retryable: retryable}
}

// Cancel is the task stopped by its user, with the text it shows.
func Cancel(message string) Event { return Event{Kind: EventCancel, Message: message} }

// Retry is a failed or cancelled task queued again by its user.
func Retry() Event { return Event{Kind: EventRetry} }

// Requeue is a processing task going back to the queue; message says why
// it waits ("" when it simply resumes later).
func Requeue(message string) Event { return Event{Kind: EventRequeue, Message: message} }

// TransitionError is Apply's refusal of an event the task's status does
// not allow. It unwraps to an *Error of kind ErrConflict with code
// "invalid_state", so it reaches a client as a 409.
type TransitionError struct {
	From  TaskStatus
	Event EventKind
}

func (e *TransitionError) Error() string {
	var allowed []string
	for _, s := range Statuses {
		if _, ok := transitions[e.Event][s]; ok {
			allowed = append(allowed, string(s))
		}
	}
	return fmt.Sprintf("only %s tasks can %s; this task is %s",
		strings.Join(allowed, " or "), verbs[e.Event], e.From)
}

// Unwrap gives the client-facing conflict error.
func (e *TransitionError) Unwrap() error {
	return &Error{Kind: ErrConflict, Code: CodeInvalidState, Message: e.Error()}
}

// Apply moves t through ev at time now if the state machine allows it,
// and sets every field the lifecycle derives, in this one place:
//
//   - Claim: StartedAt (first claim only), Attempts+1, Error cleared
//     (a requeued task's "waiting: …").
//   - Start: PagesTotal and PagesDone.
//   - PageDone: PagesDone+1.
//   - Complete, Fail, Cancel: CompletedAt = now and DurationMS since
//     StartedAt (0 if never started); Error cleared (Complete) or set to
//     the message; Complete also sets PagesDone and the output files.
//     ErrorCode and Retryable: the Fail's; Cancel: none, retryable;
//     Complete: none, not retryable (Claim and Retry clear them too).
//     Review: the Complete's (cleared by Claim and Retry).
//   - Retry: QueuedAt = now (the end of the line); Error, PagesDone,
//     StartedAt, CompletedAt, DurationMS and every file but the input
//     dropped. Attempts is kept: a retry is not an attempt.
//   - Requeue: Error = the message; QueuedAt, StartedAt and progress kept.
//
// A refused event returns a *TransitionError and leaves t unchanged.
func (t *Task) Apply(ev Event, now time.Time) error {
	to, ok := Next(t.Status, ev.Kind)
	if !ok {
		return &TransitionError{From: t.Status, Event: ev.Kind}
	}
	t.Status = to
	switch ev.Kind {
	case EventClaim:
		if t.StartedAt == nil {
			started := now
			t.StartedAt = &started
		}
		t.Attempts++
		t.Error, t.ErrorCode, t.Retryable, t.Review = "", "", false, nil
	case EventStart:
		t.PagesTotal, t.PagesDone = ev.Pages, ev.Done
	case EventPageDone:
		t.PagesDone++
	case EventComplete:
		t.finish(now, "")
		t.ErrorCode, t.Retryable, t.Review = "", false, ev.Review
		t.PagesDone = ev.Pages
		t.Files = append(t.inputOnly(), ev.Files...)
	case EventFail:
		t.finish(now, ev.Message)
		t.ErrorCode, t.Retryable = ev.Code, ev.Retryable
	case EventCancel:
		t.finish(now, ev.Message)
		t.ErrorCode, t.Retryable = "", true
	case EventRetry:
		t.QueuedAt, t.Error, t.ErrorCode, t.Retryable, t.Review = now, "", "", false, nil
		t.PagesDone, t.StartedAt, t.CompletedAt, t.DurationMS = 0, nil, nil, 0
		t.Files = t.inputOnly()
	case EventRequeue:
		t.Error = ev.Message
	}
	return nil
}

// finish stamps a task reaching a terminal status.
func (t *Task) finish(now time.Time, message string) {
	done := now
	t.CompletedAt, t.Error, t.DurationMS = &done, message, 0
	if t.StartedAt != nil {
		t.DurationMS = now.Sub(*t.StartedAt).Milliseconds()
	}
}

// inputOnly returns t's files without its outputs, in a new slice.
func (t *Task) inputOnly() []File {
	kept := make([]File, 0, 1)
	for _, f := range t.Files {
		if f.Kind == KindInput {
			kept = append(kept, f)
		}
	}
	return kept
}

// RunTime is how long a finished task ran, from its first claim to its
// end; 0 for a task that never started or has not finished.
func (t *Task) RunTime() time.Duration {
	if t.StartedAt == nil || t.CompletedAt == nil {
		return 0
	}
	return t.CompletedAt.Sub(*t.StartedAt)
}
