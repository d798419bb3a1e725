// Package downloads is the file access service: every download of a task's
// file goes through Open, which checks ownership here, in the service layer
// (through the store, which answers per user), and records the attempt —
// allowed or not — in the audit log and the server log. Page images for the
// result viewer (PageImage) and the places a query's words are on the pages
// (Matches) are read the same way, and Audit is the caller's own trail.
// It serves people; the bytes are kept by storage/filestore.
package downloads

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Store is the persistence the service needs (implemented by boltstore).
type Store interface {
	// GetTask returns one of userID's tasks: another user's →
	// domain.ErrForbidden, unknown → domain.ErrNotFound.
	GetTask(ctx context.Context, userID, taskID string) (*domain.Task, error)
	AppendAudit(ctx context.Context, ev domain.AuditEvent) error
	// ListAudit returns userID's own events, newest first.
	ListAudit(ctx context.Context, userID string, limit int) ([]domain.AuditEvent, error)
}

// Tree is the per-task file tree (implemented by filestore).
type Tree interface {
	Open(ctx context.Context, userID, taskID, name string) (*os.File, error)
}

// Audit actions and results written by this service.
const (
	ActionDownload = "download"

	ResultAllowed  = "allowed"
	ResultDenied   = "denied"
	ResultNotFound = "not_found"
	ResultInvalid  = "invalid" // a request the service refused as such (a page past the end, a width too large)
	ResultError    = "error"
)

// maxIDLen bounds the task and file ids copied from a request into the
// audit log: real ids are 36 characters; anything longer is cut so a client
// cannot grow the log with huge ids.
const maxIDLen = 64

// Service opens task files for their owners and keeps the audit trail.
type Service struct {
	store Store
	tree  Tree
	log   *slog.Logger
	now   func() time.Time

	pages   *PageImages           // nil: no page images (SetPageImages)
	renders chan struct{}         // bounds the page images rendered at once
	terms   func(string) []string // the search's text analysis (SetAnalyzer)
}

// NewService builds the service.
func NewService(store Store, tree Tree, log *slog.Logger) *Service {
	return &Service{store: store, tree: tree, log: log.With("component", "files"), now: time.Now}
}

// Open opens one of the caller's task files for download and returns it
// with its metadata; the caller closes it. Another user's task →
// domain.ErrForbidden (whose message says nothing about the task); an
// unknown or malformed task or file id → domain.ErrNotFound. Every attempt
// is audited with the user, task, file, ip and result; if an allowed access
// cannot be recorded the file is not served.
func (s *Service) Open(ctx context.Context, userID, taskID, fileID, ip string) (*os.File, domain.File, error) {
	fh, meta, err := s.open(ctx, userID, taskID, fileID)
	if aerr := s.record(ctx, ActionDownload, userID, taskID, fileID, ip, err); err == nil && aerr != nil {
		fh.Close()
		return nil, domain.File{}, aerr
	}
	if err != nil {
		return nil, domain.File{}, err
	}
	return fh, meta, nil
}

// record audits one access attempt (err is its outcome) and logs it; the
// error is the audit's own failure, after which an allowed access must
// not be served.
func (s *Service) record(ctx context.Context, action, userID, taskID, fileID, ip string, err error) error {
	result := resultOf(err)
	ev := domain.AuditEvent{
		Time: s.now().UTC(), UserID: userID, TaskID: clip(taskID), FileID: clip(fileID),
		Action: action, Result: result, IP: clip(ip),
	}
	// Record even when the request was cancelled: the attempt happened.
	aerr := s.store.AppendAudit(context.WithoutCancel(ctx), ev)
	attrs := []any{"user_id", userID, "task_id", ev.TaskID, "file_id", ev.FileID, "ip", ev.IP, "action", action, "result", result}
	switch {
	case aerr != nil:
		s.log.ErrorContext(ctx, "file access not audited", append(attrs, "error", aerr)...)
	case result == ResultAllowed:
		s.log.InfoContext(ctx, "file access", attrs...)
	case result == ResultError:
		s.log.ErrorContext(ctx, "file access", append(attrs, "error", err)...)
	default:
		s.log.WarnContext(ctx, "file access", attrs...)
	}
	if aerr != nil {
		return fmt.Errorf("audit file access: %w", aerr)
	}
	return nil
}

// task returns one of userID's tasks, with the errors a client may see.
func (s *Service) task(ctx context.Context, userID, taskID string) (*domain.Task, error) {
	t, err := s.store.GetTask(ctx, userID, taskID)
	switch {
	case errors.Is(err, domain.ErrForbidden):
		return nil, domain.Errorf(domain.ErrForbidden, domain.CodeForbidden, "you do not have access to this resource")
	case errors.Is(err, domain.ErrInvalid), errors.Is(err, domain.ErrNotFound):
		// An id that cannot exist is simply not found.
		return nil, domain.Errorf(domain.ErrNotFound, domain.CodeNotFound, "no such task")
	case err != nil:
		return nil, err
	}
	return t, nil
}

func (s *Service) open(ctx context.Context, userID, taskID, fileID string) (*os.File, domain.File, error) {
	t, err := s.task(ctx, userID, taskID)
	if err != nil {
		return nil, domain.File{}, err
	}
	f, ok := t.FileByID(fileID)
	if !ok {
		return nil, domain.File{}, domain.Errorf(domain.ErrNotFound, domain.CodeNotFound, "this task has no such file")
	}
	fh, err := s.tree.Open(ctx, userID, taskID, f.StoredName)
	if errors.Is(err, domain.ErrNotFound) {
		// The record outlived its file (removed by hand, or a crash): say
		// so plainly rather than fail with 500.
		return nil, domain.File{}, domain.Errorf(domain.ErrNotFound, domain.CodeNotFound, "this file is no longer stored")
	}
	if err != nil {
		return nil, domain.File{}, fmt.Errorf("open file %s of task %s: %w", fileID, taskID, err)
	}
	return fh, f, nil
}

// Audit returns up to limit of the caller's own audit events, newest first
// (0 → the store's default page).
func (s *Service) Audit(ctx context.Context, userID string, limit int) ([]domain.AuditEvent, error) {
	return s.store.ListAudit(ctx, userID, limit)
}

func resultOf(err error) string {
	switch {
	case err == nil:
		return ResultAllowed
	case errors.Is(err, domain.ErrForbidden):
		return ResultDenied
	case errors.Is(err, domain.ErrNotFound):
		return ResultNotFound
	case errors.Is(err, domain.ErrInvalid), errors.Is(err, domain.ErrConflict):
		return ResultInvalid
	}
	return ResultError
}

// clip keeps at most maxIDLen bytes of printable ASCII of a client-supplied
// value, so what reaches the audit log and the server log is bounded and
// cannot forge log lines.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
	if len(s) > maxIDLen {
		s = s[:maxIDLen]
	}
	return s
}
