package domain_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// TestApply tries every event on a task in every status, never started and
// started: allowed pairs give the listed status and fields, refused ones a
// 409-mapped *TransitionError and an unchanged task.
func TestApply(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	started := created.Add(time.Minute)
	now := started.Add(90 * time.Second)
	input := domain.File{ID: "in", Kind: domain.KindInput, StoredName: "input.png"}
	oldOut := domain.File{ID: "old", Kind: domain.KindTxt, StoredName: "result.txt"}
	newOut := domain.File{ID: "new", Kind: domain.KindJSON, StoredName: "result.json"}
	at := func(v time.Time) *time.Time { return &v }
	// finished is b stamped terminal at now with the given error.
	finished := func(b domain.Task, s domain.TaskStatus, msg string) domain.Task {
		b.Status, b.CompletedAt, b.Error, b.DurationMS = s, at(now), msg, 0
		b.Retryable = true // Fail and Cancel: a retry may help
		if b.StartedAt != nil {
			b.DurationMS = now.Sub(*b.StartedAt).Milliseconds()
		}
		return b
	}
	type allowed struct {
		ev   domain.Event
		want func(b domain.Task) domain.Task
	}
	table := map[domain.TaskStatus]map[domain.EventKind]allowed{
		domain.StatusPending: {
			domain.EventClaim: {domain.Claim(), func(b domain.Task) domain.Task {
				b.Status, b.Attempts, b.Error = domain.StatusProcessing, b.Attempts+1, ""
				if b.StartedAt == nil {
					b.StartedAt = at(now)
				}
				return b
			}},
			domain.EventCancel: {domain.Cancel("cancelled by user"), func(b domain.Task) domain.Task {
				return finished(b, domain.StatusCancelled, "cancelled by user")
			}},
		},
		domain.StatusProcessing: {
			domain.EventStart: {domain.Start(5, 2), func(b domain.Task) domain.Task {
				b.PagesTotal, b.PagesDone = 5, 2
				return b
			}},
			domain.EventPageDone: {domain.PageDone(), func(b domain.Task) domain.Task {
				b.PagesDone++
				return b
			}},
			domain.EventComplete: {domain.Complete(3, []domain.File{newOut}), func(b domain.Task) domain.Task {
				b = finished(b, domain.StatusCompleted, "")
				b.PagesDone, b.Files, b.Retryable = 3, []domain.File{input, newOut}, false
				return b
			}},
			domain.EventFail: {domain.Fail("page 2 could not be read"), func(b domain.Task) domain.Task {
				return finished(b, domain.StatusFailed, "page 2 could not be read")
			}},
			"fail permanently": {domain.FailWith("page 2 cannot be decoded", domain.CodeUnreadableInput, false), func(b domain.Task) domain.Task {
				b = finished(b, domain.StatusFailed, "page 2 cannot be decoded")
				b.ErrorCode, b.Retryable = domain.CodeUnreadableInput, false
				return b
			}},
			domain.EventCancel: {domain.Cancel("cancelled by user"), func(b domain.Task) domain.Task {
				return finished(b, domain.StatusCancelled, "cancelled by user")
			}},
			domain.EventRequeue: {domain.Requeue("waiting: disk full"), func(b domain.Task) domain.Task {
				b.Status, b.Error = domain.StatusPending, "waiting: disk full"
				return b
			}},
		},
		domain.StatusFailed:    {domain.EventRetry: {domain.Retry(), retried(now, input)}},
		domain.StatusCancelled: {domain.EventRetry: {domain.Retry(), retried(now, input)}},
	}
	events := map[domain.EventKind]domain.Event{
		domain.EventClaim: domain.Claim(), domain.EventStart: domain.Start(5, 2), domain.EventPageDone: domain.PageDone(),
		domain.EventComplete: domain.Complete(3, []domain.File{newOut}), domain.EventFail: domain.Fail("x"),
		domain.EventCancel: domain.Cancel("x"), domain.EventRetry: domain.Retry(), domain.EventRequeue: domain.Requeue(""),
	}
	refusals := map[domain.EventKind]string{
		domain.EventRetry:  "only failed or cancelled tasks can be retried; this task is ",
		domain.EventCancel: "only pending or processing tasks can be cancelled; this task is ",
	}
	variants := []struct {
		name    string
		started *time.Time
	}{{"never started", nil}, {"started", &started}}
	for _, from := range domain.Statuses {
		for _, kind := range domain.EventKinds {
			for _, v := range variants {
				t.Run(string(from)+"/"+string(kind)+"/"+v.name, func(t *testing.T) {
					base := domain.Task{
						ID: "t1", UserID: "u1", Status: from, PagesTotal: 3, PagesDone: 1, Attempts: 1,
						Error: "earlier", CreatedAt: created, QueuedAt: created, DurationMS: 7,
						Files: []domain.File{input, oldOut},
					}
					if v.started != nil {
						base.StartedAt = at(*v.started)
					}
					if from.Terminal() {
						base.CompletedAt = at(started.Add(time.Second))
					}
					task := *base.Clone()
					a, ok := table[from][kind]
					wantTo, allowedByNext := domain.Next(from, kind)
					if ok != allowedByNext {
						t.Fatalf("Next(%s, %s) allows it: %v; the test table: %v", from, kind, allowedByNext, ok)
					}
					if !ok {
						err := task.Apply(events[kind], now)
						var te *domain.TransitionError
						var de *domain.Error
						if !errors.As(err, &te) || te.From != from || te.Event != kind ||
							!errors.Is(err, domain.ErrConflict) || !errors.As(err, &de) || de.Code != "invalid_state" {
							t.Fatalf("err = %v (%T), want a TransitionError that is a 409 invalid_state", err, err)
						}
						if want, ok := refusals[kind]; ok && de.Message != want+string(from) {
							t.Errorf("message %q, want %q", de.Message, want+string(from))
						}
						if !reflect.DeepEqual(task, base) {
							t.Errorf("refused event changed the task:\n got %+v\nwant %+v", task, base)
						}
						return
					}
					if err := task.Apply(a.ev, now); err != nil {
						t.Fatal(err)
					}
					want := a.want(*base.Clone())
					if task.Status != wantTo {
						t.Errorf("status %s, Next says %s", task.Status, wantTo)
					}
					if !reflect.DeepEqual(task, want) {
						t.Errorf("after %s:\n got %+v\nwant %+v", kind, task, want)
					}
					if task.Status.Terminal() && task.StartedAt != nil {
						if got := task.RunTime(); got != now.Sub(*task.StartedAt) {
							t.Errorf("RunTime %s, want %s", got, now.Sub(*task.StartedAt))
						}
					} else if !task.Status.Terminal() && task.RunTime() != 0 {
						t.Errorf("RunTime %s of an unfinished task", task.RunTime())
					}
				})
			}
		}
	}
}

// retried is b queued again at now with only its input left.
func retried(now time.Time, input domain.File) func(b domain.Task) domain.Task {
	return func(b domain.Task) domain.Task {
		b.Status, b.QueuedAt, b.Error = domain.StatusPending, now, ""
		b.PagesDone, b.StartedAt, b.CompletedAt, b.DurationMS = 0, nil, nil, 0
		b.Files = []domain.File{input}
		return b
	}
}
