package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/ocrbox/ocrbox/core/domain"
)

// MakeTaskDir creates a task's directory (0700, and the user's) for its
// upload. It is the only method that creates one: results written later by
// the worker need the directory to exist, so a deleted task stays deleted.
func (s *Store) MakeTaskDir(ctx context.Context, userID, taskID string) error {
	if err := checkIDs(userID, taskID); err != nil {
		return fmt.Errorf("make task directory: %w", err)
	}
	tr, err := s.taskRoot(ctx, userID, taskID, true)
	if err != nil {
		return fmt.Errorf("make task directory %s/%s: %w", userID, taskID, err)
	}
	return tr.Close()
}

// Create creates a new file (0600) in an existing task directory
// (MakeTaskDir). An existing file → domain.ErrConflict; a task directory
// that is gone → domain.ErrNotFound.
func (s *Store) Create(ctx context.Context, userID, taskID, name string) (*os.File, error) {
	if err := checkPath(userID, taskID, name); err != nil {
		return nil, fmt.Errorf("create file: %w", err)
	}
	mu := s.locks.of(taskID)
	mu.RLock()
	defer mu.RUnlock()
	tr, err := s.taskRoot(ctx, userID, taskID, false)
	if err != nil {
		return nil, fmt.Errorf("create file %s/%s/%s: %w", userID, taskID, name, err)
	}
	defer tr.Close()
	f, err := tr.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if errors.Is(err, fs.ErrExist) {
		err = fmt.Errorf("%w: %w", domain.ErrConflict, err)
	}
	if err != nil {
		return nil, fmt.Errorf("create file %s/%s/%s: %w", userID, taskID, name, wrapNotExist(err))
	}
	return f, nil
}

// Open opens a task's file for reading; missing → domain.ErrNotFound.
func (s *Store) Open(ctx context.Context, userID, taskID, name string) (*os.File, error) {
	if err := checkPath(userID, taskID, name); err != nil {
		return nil, fmt.Errorf("open file: %w", err)
	}
	tr, err := s.taskRoot(ctx, userID, taskID, false)
	if err != nil {
		return nil, fmt.Errorf("open file %s/%s/%s: %w", userID, taskID, name, err)
	}
	defer tr.Close()
	f, err := tr.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open file %s/%s/%s: %w", userID, taskID, name, wrapNotExist(err))
	}
	return f, nil
}

// Stat describes a task's file; missing → domain.ErrNotFound.
func (s *Store) Stat(ctx context.Context, userID, taskID, name string) (fs.FileInfo, error) {
	if err := checkPath(userID, taskID, name); err != nil {
		return nil, fmt.Errorf("stat file: %w", err)
	}
	tr, err := s.taskRoot(ctx, userID, taskID, false)
	if err != nil {
		return nil, fmt.Errorf("stat file %s/%s/%s: %w", userID, taskID, name, err)
	}
	defer tr.Close()
	fi, err := tr.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("stat file %s/%s/%s: %w", userID, taskID, name, wrapNotExist(err))
	}
	return fi, nil
}

// Exists reports whether a task's file exists.
func (s *Store) Exists(ctx context.Context, userID, taskID, name string) (bool, error) {
	_, err := s.Stat(ctx, userID, taskID, name)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, domain.ErrNotFound):
		return false, nil
	}
	return false, err
}

// Remove deletes a task's file. A file that is already gone is not an
// error, so cleanup can be retried.
func (s *Store) Remove(ctx context.Context, userID, taskID, name string) error {
	if err := checkPath(userID, taskID, name); err != nil {
		return fmt.Errorf("remove file: %w", err)
	}
	tr, err := s.taskRoot(ctx, userID, taskID, false)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove file %s/%s/%s: %w", userID, taskID, name, err)
	}
	defer tr.Close()
	if err := tr.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove file %s/%s/%s: %w", userID, taskID, name, err)
	}
	return nil
}

// RemoveTask deletes a task's directory and everything in it. It is
// idempotent: a task without files is not an error. No file can be added
// while it runs, and none afterwards (see Create).
func (s *Store) RemoveTask(ctx context.Context, userID, taskID string) error {
	if err := checkIDs(userID, taskID); err != nil {
		return fmt.Errorf("remove task files: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove task files: %w", err)
	}
	ur, err := openDir(s.root, userID, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove task files %s/%s: %w", userID, taskID, err)
	}
	defer ur.Close()
	mu := s.locks.of(taskID)
	mu.Lock()
	defer mu.Unlock()
	if err := ur.RemoveAll(taskID); err != nil {
		return fmt.Errorf("remove task files %s/%s: %w", userID, taskID, err)
	}
	return nil
}

// RemoveUser deletes a user's whole tree; idempotent like RemoveTask.
func (s *Store) RemoveUser(ctx context.Context, userID string) error {
	if !validID(userID) {
		return fmt.Errorf("remove user files: user id %q: %w", userID, domain.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove user files: %w", err)
	}
	if err := s.root.RemoveAll(userID); err != nil {
		return fmt.Errorf("remove user files %s: %w", userID, err)
	}
	return nil
}
