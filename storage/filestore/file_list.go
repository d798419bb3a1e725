package filestore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/ocrbox/ocrbox/core/domain"
)

// List returns the names of a task's files, sorted; an unknown task has none.
func (s *Store) List(ctx context.Context, userID, taskID string) ([]string, error) {
	if !validID(userID) || !validID(taskID) {
		return nil, fmt.Errorf("list files: %w", domain.ErrInvalid)
	}
	tr, err := s.taskRoot(ctx, userID, taskID, false)
	if err != nil {
		if errors.Is(wrapNotExist(err), domain.ErrNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("list files %s/%s: %w", userID, taskID, err)
	}
	defer tr.Close()
	d, err := tr.Open(".")
	if err != nil {
		return nil, fmt.Errorf("list files %s/%s: %w", userID, taskID, err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("list files %s/%s: %w", userID, taskID, err)
	}
	sort.Strings(names)
	return names, nil
}

// Path returns the absolute path of an existing task file, for tools that
// need a path rather than a handle (the PDF rasteriser). The path is built
// from validated ids and a server-made name, never from client input.
func (s *Store) Path(ctx context.Context, userID, taskID, name string) (string, error) {
	if _, err := s.Stat(ctx, userID, taskID, name); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(filepath.Join(s.dir, userID, taskID, name))
	if err != nil {
		return "", fmt.Errorf("file path: %w", err)
	}
	return abs, nil
}
