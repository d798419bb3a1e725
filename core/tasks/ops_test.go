package tasks_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

func TestDeleteRemovesRecordAndFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, tasks.Options{})
	task := f.setStatus(t, f.upload(t, f.alice, "a.png", pngBytes(t, 20, 20)), domain.StatusProcessing)
	other := f.upload(t, f.alice, "keep.png", pngBytes(t, 20, 20))
	_, updates, stop, err := f.svc.Watch(ctx, f.alice.ID, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	if err := f.svc.Delete(ctx, f.alice.ID, task.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Get(ctx, f.alice.ID, task.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	if dirs := f.taskDirs(t); !slices.Equal(dirs, []string{f.alice.ID + "/" + other.ID}) {
		t.Errorf("task dirs after Delete %v, want only %s", dirs, other.ID)
	}
	if _, cancelled := f.runner.state(); !slices.Equal(cancelled, []string{task.ID}) {
		t.Errorf("worker asked to cancel %v, want the deleted task", cancelled)
	}
	select {
	case u := <-updates:
		if u.ID != task.ID || u.Status != domain.StatusCancelled {
			t.Errorf("watchers got %s %s, want the task as cancelled", u.ID, u.Status)
		}
	case <-time.After(time.Second):
		t.Error("watchers were not told of the deletion")
	}
	if err := f.svc.Delete(ctx, f.alice.ID, task.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("second Delete: %v", err)
	}
}

func TestOtherUsersTasksAreOutOfReach(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, tasks.Options{})
	task := f.setStatus(t, f.upload(t, f.alice, "a.png", pngBytes(t, 20, 20)), domain.StatusFailed)
	bob := f.bob.ID
	calls := map[string]error{}
	_, calls["Get"] = f.svc.Get(ctx, bob, task.ID)
	calls["Delete"] = f.svc.Delete(ctx, bob, task.ID)
	_, calls["Retry"] = f.svc.Retry(ctx, bob, task.ID)
	_, calls["Cancel"] = f.svc.Cancel(ctx, bob, task.ID)
	_, _, _, calls["Watch"] = f.svc.Watch(ctx, bob, task.ID)
	for op, err := range calls {
		if !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("%s of another user's task: %v, want ErrForbidden", op, err)
		}
	}
	if got, err := f.svc.Get(ctx, f.alice.ID, task.ID); err != nil || got.Status != domain.StatusFailed || len(f.taskDirs(t)) != 1 {
		t.Errorf("alice's task after bob's attempts: %+v, %v", got, err)
	}
	if kicks, cancelled := f.runner.state(); kicks != 1 || len(cancelled) != 0 {
		t.Errorf("bob's attempts reached the worker: kicks %d, cancels %v", kicks, cancelled)
	}
}

func TestMissingOrMalformedIDsAreNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, tasks.Options{})
	f.upload(t, f.alice, "a.png", pngBytes(t, 20, 20)) // a task exists; the ids below are not it
	for _, id := range []string{"01900000-0000-7000-8000-000000000000", "../etc", "", "NOT-A-UUID"} {
		calls := map[string]error{}
		_, calls["Get"] = f.svc.Get(ctx, f.alice.ID, id)
		calls["Delete"] = f.svc.Delete(ctx, f.alice.ID, id)
		_, calls["Retry"] = f.svc.Retry(ctx, f.alice.ID, id)
		_, calls["Cancel"] = f.svc.Cancel(ctx, f.alice.ID, id)
		_, _, _, calls["Watch"] = f.svc.Watch(ctx, f.alice.ID, id)
		for op, err := range calls {
			if !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("%s(%q): %v, want ErrNotFound", op, id, err)
			}
		}
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from domain.TaskStatus
		ok   bool
	}{
		{domain.StatusFailed, true},
		{domain.StatusCancelled, true},
		{domain.StatusPending, false},
		{domain.StatusProcessing, false},
		{domain.StatusCompleted, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.from), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newFixture(t, tasks.Options{})
			task := f.setStatus(t, f.upload(t, f.alice, "a.png", pngBytes(t, 20, 20)), tt.from)
			before := f.filesOf(t, task)

			got, err := f.svc.Retry(ctx, f.alice.ID, task.ID)
			if !tt.ok {
				de := wantDomainError(t, err, domain.ErrConflict, "invalid_state")
				if stored, _ := f.svc.Get(ctx, f.alice.ID, task.ID); stored.Status != tt.from || len(stored.Files) != len(task.Files) {
					t.Errorf("refused retry changed the task: %+v", stored)
				}
				if now := f.filesOf(t, task); !slices.Equal(now, before) {
					t.Errorf("refused retry changed the files: %v → %v (%s)", before, now, de.Message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			in, _ := task.InputFile()
			if got.Status != domain.StatusPending || got.Error != "" || got.PagesDone != 0 || got.StartedAt != nil ||
				got.CompletedAt != nil || got.DurationMS != 0 || len(got.Files) != 1 || got.Files[0].ID != in.ID ||
				!got.QueuedAt.After(task.QueuedAt) {
				t.Errorf("retried task %+v", got)
			}
			if got.Attempts != task.Attempts {
				t.Errorf("attempts %d → %d: a retry does not count as an attempt", task.Attempts, got.Attempts)
			}
			if names := f.filesOf(t, task); !slices.Equal(names, []string{in.StoredName}) {
				t.Errorf("files after retry %v, want the input only", names)
			}
			if kicks, _ := f.runner.state(); kicks != 2 {
				t.Errorf("kicks %d, want the upload's and the retry's", kicks)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from domain.TaskStatus
		ok   bool
	}{
		{domain.StatusPending, true},
		{domain.StatusProcessing, true},
		{domain.StatusCompleted, false},
		{domain.StatusFailed, false},
		{domain.StatusCancelled, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.from), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := newFixture(t, tasks.Options{})
			task := f.setStatus(t, f.upload(t, f.alice, "a.png", pngBytes(t, 20, 20)), tt.from)
			got, err := f.svc.Cancel(ctx, f.alice.ID, task.ID)
			_, cancelled := f.runner.state()
			if !tt.ok {
				wantDomainError(t, err, domain.ErrConflict, "invalid_state")
				if stored, _ := f.svc.Get(ctx, f.alice.ID, task.ID); stored.Status != tt.from {
					t.Errorf("refused cancel changed the status to %s", stored.Status)
				}
				if len(cancelled) != 0 {
					t.Errorf("refused cancel reached the worker: %v", cancelled)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != domain.StatusCancelled || got.Error != "cancelled by user" || got.CompletedAt == nil {
				t.Errorf("cancelled task %+v", got)
			}
			if (tt.from == domain.StatusProcessing) != (got.DurationMS > 0 || got.StartedAt != nil) {
				t.Errorf("duration %d ms, started_at %v", got.DurationMS, got.StartedAt)
			}
			if !slices.Equal(cancelled, []string{task.ID}) {
				t.Errorf("worker asked to cancel %v", cancelled)
			}
			if stored, _ := f.svc.Get(ctx, f.alice.ID, task.ID); stored.Status != domain.StatusCancelled {
				t.Errorf("stored status %s", stored.Status)
			}
		})
	}
}

func TestWatchDeliversUpdates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, tasks.Options{})
	task := f.setStatus(t, f.upload(t, f.alice, "a.png", pngBytes(t, 20, 20)), domain.StatusFailed)
	other := f.upload(t, f.alice, "b.png", pngBytes(t, 20, 20))
	cur, updates, stop, err := f.svc.Watch(ctx, f.alice.ID, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur.ID != task.ID || cur.Status != domain.StatusFailed {
		t.Fatalf("current state %+v", cur)
	}

	if _, err := f.svc.Cancel(ctx, f.alice.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Retry(ctx, f.alice.ID, task.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-updates:
		if u.ID != task.ID || u.Status != domain.StatusPending {
			t.Errorf("update %s %s, want this task pending", u.ID, u.Status)
		}
	case <-time.After(time.Second):
		t.Fatal("no update after Retry")
	}
	select {
	case u := <-updates:
		t.Errorf("unexpected update %s %s", u.ID, u.Status)
	default:
	}

	stop()
	if _, err := f.svc.Cancel(ctx, f.alice.ID, task.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-updates:
		t.Errorf("update %s after unsubscribing", u.Status)
	case <-time.After(50 * time.Millisecond):
	}
}

// filesOf lists the names in a task's directory.
func (f *fixture) filesOf(t *testing.T, task *domain.Task) []string {
	t.Helper()
	names, err := f.files.List(context.Background(), task.UserID, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestRetryPermanentFailure: a task whose document cannot be read is not
// retried (409 not_retryable, nothing changed) unless forced.
func TestRetryPermanentFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, tasks.Options{})
	task := f.setStatus(t, f.upload(t, f.alice, "a.png", pngBytes(t, 20, 20)), domain.StatusFailed)
	task, err := f.store.UpdateTask(ctx, task.UserID, task.ID, func(x *domain.Task) error {
		x.Error, x.ErrorCode, x.Retryable = "TIFF page 1 cannot be decoded", domain.CodeUnreadableInput, false
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.Get(ctx, f.alice.ID, task.ID); got.Retryable || got.ErrorCode != domain.CodeUnreadableInput {
		t.Fatalf("stored task retryable %v code %q", got.Retryable, got.ErrorCode)
	}
	_, err = f.svc.Retry(ctx, f.alice.ID, task.ID)
	wantDomainError(t, err, domain.ErrConflict, domain.CodeNotRetryable)
	if got, _ := f.svc.Get(ctx, f.alice.ID, task.ID); got.Status != domain.StatusFailed {
		t.Errorf("refused retry changed the task: %+v", got)
	}
	if _, err := f.svc.ForceRetry(ctx, f.bob.ID, task.ID); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("bob's forced retry: %v, want forbidden", err)
	}
	got, err := f.svc.ForceRetry(ctx, f.alice.ID, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != domain.StatusPending || got.Retryable || got.ErrorCode != "" || got.Error != "" {
		t.Errorf("forced retry: %+v", got)
	}
}
