package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// TaskDirs calls fn with every <user id>/<task id> directory in the tree
// and its modification time, user by user; names that are not ids are
// skipped. It is for background sweeps (core/orphans), never for requests.
func (s *Store) TaskDirs(ctx context.Context, fn func(userID, taskID string, modTime time.Time) error) error {
	users, err := fs.ReadDir(s.root.FS(), ".")
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	for _, u := range users {
		if !u.IsDir() || !validID(u.Name()) {
			continue
		}
		tasks, err := fs.ReadDir(s.root.FS(), u.Name())
		if errors.Is(err, fs.ErrNotExist) { // removed meanwhile
			continue
		}
		if err != nil {
			return fmt.Errorf("list tasks of %s: %w", u.Name(), err)
		}
		for _, t := range tasks {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !t.IsDir() || !validID(t.Name()) {
				continue
			}
			info, err := t.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			if err := fn(u.Name(), t.Name(), info.ModTime()); err != nil {
				return err
			}
		}
	}
	return nil
}
