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

// MaxAuditLimit is the largest page ListAudit returns.
const MaxAuditLimit = 1000

// AuditEvent is the stored audit entry (see domain.AuditEvent).
type AuditEvent = domain.AuditEvent

// AppendAudit appends ev to the audit log, and to the acting user's
// audit_by_user index when ev has a user; a zero Time becomes now. The log
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
		key := auditKey(ev.Time, seq)
		if ev.UserID != "" {
			if err := x.auditByUser.Put(concat([]byte(ev.UserID), key), nil); err != nil {
				return err
			}
		}
		return putJSON(x.audit, key, ev)
	})
	if err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

// ListAudit returns up to limit (0 → DefaultAuditLimit, at most
// MaxAuditLimit) of userID's audit events, newest first. It reads only the
// user's own range of audit_by_user, so it cannot return anyone else's
// events, and costs O(limit) whatever the size of the log.
func (s *Store) ListAudit(ctx context.Context, userID string, limit int) ([]AuditEvent, error) {
	if err := checkID("user", userID); err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	if limit < 0 || limit > MaxAuditLimit {
		return nil, fmt.Errorf("list audit: limit %d not in 0..%d: %w", limit, MaxAuditLimit, domain.ErrInvalid)
	}
	if limit == 0 {
		limit = DefaultAuditLimit
	}
	events := []AuditEvent{}
	err := s.view(ctx, func(x *txn) error {
		return walkPrefix(x.auditByUser, []byte(userID), true, func(k, _ []byte) (bool, error) {
			key := k[idLen:]
			var ev AuditEvent
			found, err := getJSON(x.audit, key, &ev)
			if err != nil {
				return true, err
			}
			if !found || ev.UserID != userID { // never expected; refuse rather than leak
				return true, fmt.Errorf("audit_by_user entry %x does not match the audit log: index out of step", key)
			}
			events = append(events, ev)
			return len(events) >= limit, nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return events, nil
}

// DeleteAuditBefore removes up to limit audit events older than before,
// oldest first, with their audit_by_user entries, in one transaction, and
// returns how many (fewer than limit: nothing older is left). It is the
// retention janitor's path, never a request's.
func (s *Store) DeleteAuditBefore(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("delete audit: limit %d: %w", limit, domain.ErrInvalid)
	}
	cutoff := timeKey(before)
	n := 0
	err := s.update(ctx, func(x *txn) error {
		// Collect first: deleting under a moving cursor can skip keys.
		var keys, userKeys [][]byte
		c := x.audit.Cursor()
		for k, v := c.First(); k != nil && len(keys) < limit; k, v = c.Next() {
			if bytes.Compare(k[:timeLen], cutoff) >= 0 {
				break
			}
			var ev AuditEvent
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("audit event %x: %w", k, err)
			}
			key := append([]byte(nil), k...)
			keys = append(keys, key)
			if ev.UserID != "" {
				userKeys = append(userKeys, concat([]byte(ev.UserID), key))
			}
		}
		for _, k := range userKeys {
			if err := x.auditByUser.Delete(k); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if err := x.audit.Delete(k); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete audit: %w", err)
	}
	return n, nil
}
