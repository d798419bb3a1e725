package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// DefaultAuditLimit is the page size ListAudit uses for a limit of 0.
const DefaultAuditLimit = 100

// AuditEvent is one entry of the audit log: who did what to which task or
// file, from where, with what result.
type AuditEvent struct {
	// Time is when it happened; AppendAudit fills in now when zero.
	Time time.Time `json:"time"`
	// UserID is the acting user, empty when unknown (a failed sign-in).
	UserID string `json:"user_id,omitempty"`
	// TaskID and FileID name what was acted on, when anything.
	TaskID string `json:"task_id,omitempty"`
	FileID string `json:"file_id,omitempty"`
	// Action is what was attempted, e.g. "file.download", "task.delete".
	Action string `json:"action"`
	// Result is how it ended, e.g. "ok", "forbidden".
	Result string `json:"result"`
	// IP is the client address.
	IP string `json:"ip,omitempty"`
}

// AppendAudit appends ev to the audit log; a zero Time becomes now. The log
// is append-only: DeleteUser keeps a user's events.
func (s *Store) AppendAudit(ctx context.Context, ev AuditEvent) error {
	if ev.Action == "" {
		return fmt.Errorf("append audit: empty action: %w", domain.ErrInvalid)
	}
	if ev.UserID != "" {
		if err := checkID("user", ev.UserID); err != nil {
			return fmt.Errorf("append audit: %w", err)
		}
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	err := s.update(ctx, func(x *txn) error {
		seq, err := x.audit.NextSequence()
		if err != nil {
			return err
		}
		return putJSON(x.audit, auditKey(ev.Time, seq), ev)
	})
	if err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

// ListAudit returns up to limit (0 → DefaultAuditLimit) of userID's audit
// events, newest first. It scans the log backwards: fine at today's sizes;
// an audit_by_user index can come with a migration when it is not.
func (s *Store) ListAudit(ctx context.Context, userID string, limit int) ([]AuditEvent, error) {
	if err := checkID("user", userID); err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	if limit < 0 {
		return nil, fmt.Errorf("list audit: limit %d: %w", limit, domain.ErrInvalid)
	}
	if limit == 0 {
		limit = DefaultAuditLimit
	}
	var events []AuditEvent
	needle := []byte(userID)
	err := s.view(ctx, func(x *txn) error {
		c := x.audit.Cursor()
		for k, v := c.Last(); k != nil && len(events) < limit; k, v = c.Prev() {
			if !bytes.Contains(v, needle) { // cheap pre-filter before decoding
				continue
			}
			var ev AuditEvent
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("decode audit event %x: %w", k, err)
			}
			if ev.UserID == userID {
				events = append(events, ev)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return events, nil
}
