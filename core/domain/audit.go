package domain

import "time"

// AuditEvent is one entry of the audit log: who did what to which task or
// file, from where, with what result. Every file access is one (DESIGN.md
// §9); users read their own trail through GET /api/v1/audit.
type AuditEvent struct {
	// Time is when it happened; the store fills in now when zero.
	Time time.Time `json:"time"`
	// UserID is the acting user, empty when unknown (a failed sign-in).
	UserID string `json:"user_id,omitempty"`
	// TaskID and FileID name what was acted on, when anything. They are
	// what the client asked for, which need not exist.
	TaskID string `json:"task_id,omitempty"`
	FileID string `json:"file_id,omitempty"`
	// Action is what was attempted, e.g. "download", "user.delete".
	Action string `json:"action"`
	// Result is how it ended, e.g. "allowed", "denied", "not_found".
	Result string `json:"result"`
	// IP is the client address.
	IP string `json:"ip,omitempty"`
}
