package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Get returns one of the user's tasks.
func (s *Service) Get(ctx context.Context, userID, taskID string) (*domain.Task, error) {
	t, err := s.store.GetTask(ctx, userID, taskID)
	if err != nil {
		return nil, notFound(err)
	}
	s.placeInLine(ctx, t)
	return t, nil
}

// notFound turns the store's "malformed id" into a plain 404: an id that
// cannot exist is simply not found.
func notFound(err error) error {
	if errors.Is(err, domain.ErrInvalid) {
		return domain.Errorf(domain.ErrNotFound, domain.CodeNotFound, "no such task")
	}
	return err
}

// List returns one page of the user's tasks and the exact total.
// Newest or oldest first comes from the store (O(offset + limit), total from
// the user's counters); the other orders come from the search index when it
// is ready, as a full in-memory sort of a big history would be slow.
func (s *Service) List(ctx context.Context, userID string, q domain.ListQuery) ([]*domain.Task, int, error) {
	list := s.store.ListTasks
	if q.Sort != "" && q.Sort != domain.SortCreatedAt && s.search != nil && s.search.Ready() {
		list = s.search.List
	}
	ts, total, err := list(ctx, userID, q)
	s.placeInLine(ctx, ts...)
	return ts, total, err
}

// Delete cancels the task's work if running, then removes its records and
// files.
func (s *Service) Delete(ctx context.Context, userID, taskID string) error {
	if _, err := s.store.GetTask(ctx, userID, taskID); err != nil {
		return notFound(err)
	}
	s.runner.Cancel(taskID)
	t, err := s.store.DeleteTask(ctx, userID, taskID)
	if err != nil {
		return err
	}
	if err := s.files.RemoveTask(ctx, userID, taskID); err != nil {
		return fmt.Errorf("delete task %s files: %w", taskID, err)
	}
	s.broker.Deleted(t)
	return nil
}

// Retry puts a failed or cancelled task back in the queue, dropping the
// results of the previous run. A task whose failure is permanent
// (Task.Retryable false: its document cannot be read) is refused with 409
// not_retryable; ForceRetry takes it anyway.
func (s *Service) Retry(ctx context.Context, userID, taskID string) (*domain.Task, error) {
	return s.retry(ctx, userID, taskID, false)
}

// ForceRetry is Retry of a task whatever made it fail, even a failure
// marked permanent (Task.Retryable false): for when the cause was fixed
// outside the document, e.g. a limit raised or an engine installed.
func (s *Service) ForceRetry(ctx context.Context, userID, taskID string) (*domain.Task, error) {
	return s.retry(ctx, userID, taskID, true)
}

func (s *Service) retry(ctx context.Context, userID, taskID string, force bool) (*domain.Task, error) {
	now := s.now().UTC()
	t, err := s.store.UpdateTask(ctx, userID, taskID, func(t *domain.Task) error {
		if t.Status == domain.StatusFailed && !t.Retryable && !force {
			return domain.Errorf(domain.ErrConflict, domain.CodeNotRetryable,
				"this task failed because of its document (%s); a retry would fail the same way: upload a corrected file, or retry with force=true if the cause was fixed on the server",
				t.Error)
		}
		return t.Apply(domain.Retry(), now) // 409 invalid_state unless failed or cancelled
	})
	if err != nil {
		return nil, notFound(err)
	}
	if err := s.removeResults(ctx, t); err != nil {
		return nil, err
	}
	s.broker.Publish(t)
	s.runner.Kick()
	return t, nil
}

// removeResults deletes every file of the task but its input.
func (s *Service) removeResults(ctx context.Context, t *domain.Task) error {
	in, _ := t.InputFile()
	names, err := s.files.List(ctx, t.UserID, t.ID)
	if err != nil {
		return fmt.Errorf("list task files: %w", err)
	}
	for _, n := range names {
		if n == in.StoredName {
			continue
		}
		if err := s.files.Remove(ctx, t.UserID, t.ID, n); err != nil {
			return fmt.Errorf("remove old result %s: %w", n, err)
		}
	}
	return nil
}

// Cancel stops a pending or processing task.
func (s *Service) Cancel(ctx context.Context, userID, taskID string) (*domain.Task, error) {
	now := s.now().UTC()
	t, err := s.store.UpdateTask(ctx, userID, taskID, func(t *domain.Task) error {
		return t.Apply(domain.Cancel("cancelled by user"), now) // 409 invalid_state unless pending or processing
	})
	if err != nil {
		return nil, notFound(err)
	}
	s.runner.Cancel(taskID)
	s.broker.Publish(t)
	s.opts.Observer.TaskFinished(string(domain.StatusCancelled), t.RunTime())
	return t, nil
}

// Watch returns the task's current state and a stream of its updates.
func (s *Service) Watch(ctx context.Context, userID, taskID string) (*domain.Task, <-chan *domain.Task, func(), error) {
	ch, stop := s.broker.Subscribe(taskID)
	t, err := s.store.GetTask(ctx, userID, taskID)
	if err != nil {
		stop()
		return nil, nil, nil, notFound(err)
	}
	return t, ch, stop, nil
}
