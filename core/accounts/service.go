// Package accounts removes a person from ocrbox: their tasks (stopping the
// running ones), files, search entries, sessions and user record. The
// running server does it for `ocrbox users delete` through the admin socket
// (core/admin); with the server stopped the command opens the database
// itself and uses the same service.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

// Store is the persistence the service needs (boltstore).
type Store interface {
	GetUserByEmail(ctx context.Context, email string) (domain.User, error)
	// DeleteUser removes the user with their tasks and sessions in one
	// transaction and returns what it removed.
	DeleteUser(ctx context.Context, id string) (domain.UserDeletion, error)
	AppendAudit(ctx context.Context, ev domain.AuditEvent) error
}

// TaskFiles removes task directories and a user's whole file tree (filestore).
type TaskFiles interface {
	RemoveTask(ctx context.Context, userID, taskID string) error
	RemoveUser(ctx context.Context, userID string) error
}

// Deindexer removes a task from the search index (storage/search).
type Deindexer interface {
	Delete(ctx context.Context, taskID string) error
}

// Runner stops a task's work if it is running (the worker).
type Runner interface {
	Cancel(taskID string)
}

// Purged reports what Purge removed.
type Purged struct {
	// Email is the address asked for.
	Email string `json:"email"`
	// Found says whether ocrbox had a record of this person; someone who
	// never signed in has no data.
	Found  bool   `json:"found"`
	UserID string `json:"user_id,omitempty"`
	// Tasks counts the deleted tasks, of which Cancelled were pending or
	// processing.
	Tasks     int `json:"tasks"`
	Cancelled int `json:"cancelled"`
	// Bytes is the size of the deleted task files.
	Bytes int64 `json:"bytes"`
	// Sessions counts the ended sessions.
	Sessions int `json:"sessions"`
	// IndexEntries counts the search entries removed.
	IndexEntries int `json:"index_entries"`
}

// Service deletes users' data.
type Service struct {
	store  Store
	files  TaskFiles
	index  Deindexer
	runner Runner
	log    *slog.Logger
}

// NewService builds the service.
func NewService(store Store, files TaskFiles, index Deindexer, runner Runner, log *slog.Logger) *Service {
	return &Service{store: store, files: files, index: index, runner: runner, log: log.With("component", "accounts")}
}

// Purge deletes everything ocrbox stores for the user with this email
// (case-insensitive): task records, sessions and the user record in one
// transaction, then the running work, the files and the search entries. A
// person ocrbox has no record of is not an error (Found is false). The
// account at the sign-in provider is not touched. actor says who asked, for
// the log (e.g. "admin-socket", "cli").
func (s *Service) Purge(ctx context.Context, email, actor string) (Purged, error) {
	out := Purged{Email: email}
	u, err := s.store.GetUserByEmail(ctx, email)
	if errors.Is(err, domain.ErrNotFound) {
		s.log.Info("user delete: no data stored", "actor", actor)
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("purge user: %w", err)
	}
	del, err := s.store.DeleteUser(ctx, u.ID)
	if errors.Is(err, domain.ErrNotFound) { // deleted meanwhile
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("purge user %s: %w", u.ID, err)
	}
	out.Found, out.UserID, out.Sessions = true, u.ID, del.Sessions
	// The records are gone; finish the rest even if the caller goes away.
	ctx = context.WithoutCancel(ctx)
	for _, t := range del.Tasks {
		out.Tasks++
		if !t.Status.Terminal() {
			out.Cancelled++
			s.runner.Cancel(t.ID)
		}
		for _, f := range t.Files {
			out.Bytes += f.Size
		}
	}
	var errs []error
	for _, t := range del.Tasks {
		var left *tasks.LeftoversError
		if errors.As(tasks.RemoveLeftovers(ctx, s.files, s.index, u.ID, t.ID), &left) {
			errs = append(errs, left)
		}
		if left == nil || left.Entry == nil {
			out.IndexEntries++
		}
	}
	// Then the user's directory itself, with whatever no task owned.
	if err := s.files.RemoveUser(ctx, u.ID); err != nil {
		errs = append(errs, fmt.Errorf("remove files: %w", err))
	}
	ev := domain.AuditEvent{UserID: u.ID, Action: "user.delete", Result: "deleted"}
	if err := s.store.AppendAudit(ctx, ev); err != nil {
		errs = append(errs, fmt.Errorf("audit: %w", err))
	}
	attrs := []any{"user_id", u.ID, "actor", actor, "tasks", out.Tasks, "cancelled", out.Cancelled,
		"bytes", out.Bytes, "sessions", out.Sessions, "index_entries", out.IndexEntries}
	if err := errors.Join(errs...); err != nil {
		s.log.Error("user deleted with leftovers", append(attrs, "error", err)...)
		return out, fmt.Errorf("purge user %s: records deleted, but: %w", u.ID, err)
	}
	s.log.Info("user deleted", attrs...)
	return out, nil
}
