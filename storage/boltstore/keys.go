package boltstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/ocrbox/ocrbox/core/domain"
)

// Bucket names (see the package comment for the tree).
const (
	bucketMeta              = "meta"
	bucketUsers             = "users"
	bucketUsersByEmail      = "users_by_email"
	bucketTasks             = "tasks"
	bucketTaskFiles         = "task_files"
	bucketTasksByUser       = "tasks_by_user"
	bucketTasksByStatus     = "tasks_by_status"
	bucketSessions          = "sessions"
	bucketSessionsByUser    = "sessions_by_user"
	bucketSessionsByRefresh = "sessions_by_refresh"
	bucketAudit             = "audit"
	bucketUserStats         = "user_stats"
	bucketAuditByUser       = "audit_by_user"        // migration 2
	bucketTasksByUserStatus = "tasks_by_user_status" // migration 4
	bucketIdentities        = "identities"           // migration 5
	bucketIdentitiesByUser  = "identities_by_user"   // migration 5

	keySchemaVersion = "schema_version"
)

const (
	idLen      = 36 // canonical UUID string
	timeLen    = 8
	maxHashLen = 128
)

// NewID returns a new time-ordered random id (UUIDv7, canonical lower-case
// form). Ids sort by creation time and reveal nothing guessable.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// validID is domain.ValidID: one spelling per id.
func validID(s string) bool { return domain.ValidID(s) }

// checkID wraps domain.ErrInvalid when s is not a valid id.
func checkID(kind, s string) error {
	if !validID(s) {
		return fmt.Errorf("%s id %q: %w", kind, s, domain.ErrInvalid)
	}
	return nil
}

// checkHash validates a token or refresh hash used as a key.
func checkHash(kind, h string) error {
	if h == "" || len(h) > maxHashLen {
		return fmt.Errorf("%s hash of length %d: %w", kind, len(h), domain.ErrInvalid)
	}
	return nil
}

// timeKey encodes t as big-endian Unix nanoseconds, clamped to what fits in
// an unsigned 64-bit count since 1970 (time.UnixNano is undefined outside).
func timeKey(t time.Time) []byte {
	b := make([]byte, timeLen)
	var n uint64
	switch {
	case t.Before(time.Unix(0, 0)):
		n = 0
	case t.After(time.Unix(0, math.MaxInt64)):
		n = math.MaxInt64
	default:
		n = uint64(t.UnixNano())
	}
	binary.BigEndian.PutUint64(b, n)
	return b
}

// keyTime decodes a timeKey.
func keyTime(b []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC()
}

// statusCode maps a status to its one-byte key prefix. The codes are
// part of the on-disk format: append, never renumber.
func statusCode(s domain.TaskStatus) (byte, error) {
	switch s {
	case domain.StatusPending:
		return 1, nil
	case domain.StatusProcessing:
		return 2, nil
	case domain.StatusCompleted:
		return 3, nil
	case domain.StatusFailed:
		return 4, nil
	case domain.StatusCancelled:
		return 5, nil
	}
	return 0, fmt.Errorf("status %q: %w", s, domain.ErrInvalid)
}

func concat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

// userTaskKey is tasks_by_user's key: user id | created_at | task id.
func userTaskKey(userID string, createdAt time.Time, taskID string) []byte {
	return concat([]byte(userID), timeKey(createdAt), []byte(taskID))
}

// taskIDFromUserKey returns the task id part of a tasks_by_user key.
func taskIDFromUserKey(k []byte) string {
	return string(k[idLen+timeLen:])
}

// statusKey is tasks_by_status's key: status code | queued_at | task id.
func statusKey(s domain.TaskStatus, queuedAt time.Time, taskID string) ([]byte, error) {
	c, err := statusCode(s)
	if err != nil {
		return nil, err
	}
	return concat([]byte{c}, timeKey(queuedAt), []byte(taskID)), nil
}

// statusPrefix is the tasks_by_status prefix for one status.
func statusPrefix(s domain.TaskStatus) []byte {
	c, _ := statusCode(s) // callers pass known constants
	return []byte{c}
}

// userSessionKey is sessions_by_user's key: user id | token hash.
func userSessionKey(userID, tokenHash string) []byte {
	return concat([]byte(userID), []byte(tokenHash))
}

// auditKey is audit's key: time | sequence.
func auditKey(t time.Time, seq uint64) []byte {
	b := make([]byte, timeLen)
	binary.BigEndian.PutUint64(b, seq)
	return concat(timeKey(t), b)
}

// userStatusKey is tasks_by_user_status's key:
// user id | status code | created_at | task id.
func userStatusKey(userID string, s domain.TaskStatus, createdAt time.Time, taskID string) ([]byte, error) {
	c, err := statusCode(s)
	if err != nil {
		return nil, err
	}
	return concat([]byte(userID), []byte{c}, timeKey(createdAt), []byte(taskID)), nil
}

// taskIDFromUserStatusKey returns the task id part of a
// tasks_by_user_status key.
func taskIDFromUserStatusKey(k []byte) string {
	return string(k[idLen+1+timeLen:])
}
