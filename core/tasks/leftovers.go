package tasks

import (
	"context"
	"fmt"
	"strings"
)

// TaskDirRemover removes a task's directory of files (filestore).
type TaskDirRemover interface {
	RemoveTask(ctx context.Context, userID, taskID string) error
}

// Deindexer removes a task's entry from the search index (storage/search).
type Deindexer interface {
	Delete(ctx context.Context, taskID string) error
}

// RemoveLeftovers deletes what a task leaves outside its database record:
// its files, then its search entry (none when index is nil). Those who
// delete task records themselves — the janitor, account deletion — call it
// once the records are gone, and the orphan sweep for directories no record
// owns; Service.Delete does the same, its search entry going through the
// event broker.
//
// Files come first: they are the bytes a person asked to be rid of, and a
// search entry left behind points at nothing (the store no longer returns
// its task) until `ocrbox reindex`. Both steps are tried whatever the other
// does; a failure is a *LeftoversError saying which.
func RemoveLeftovers(ctx context.Context, files TaskDirRemover, index Deindexer, userID, taskID string) error {
	left := LeftoversError{TaskID: taskID}
	left.Files = files.RemoveTask(ctx, userID, taskID)
	if index != nil {
		left.Entry = index.Delete(ctx, taskID)
	}
	if left.Files == nil && left.Entry == nil {
		return nil
	}
	return &left
}

// LeftoversError is what RemoveLeftovers could not remove of a task.
type LeftoversError struct {
	TaskID string
	// Files is why the task's directory is still there (the orphan sweep
	// at the next start removes it).
	Files error
	// Entry is why its search entry is still there (ocrbox reindex drops
	// it).
	Entry error
}

func (e *LeftoversError) Error() string {
	var parts []string
	if e.Files != nil {
		parts = append(parts, fmt.Sprintf("remove files of task %s: %v", e.TaskID, e.Files))
	}
	if e.Entry != nil {
		parts = append(parts, fmt.Sprintf("remove search entry of task %s: %v", e.TaskID, e.Entry))
	}
	return strings.Join(parts, "; ")
}

// Unwrap lets errors.Is and errors.As reach both causes.
func (e *LeftoversError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Files, e.Entry} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
