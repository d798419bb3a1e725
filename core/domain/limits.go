package domain

import (
	"fmt"
	"time"
)

// Quota is the per-user limits checked, atomically, when a task is stored.
// A zero field means no limit.
type Quota struct {
	// MaxTasks is how many tasks a user may have (max_tasks_per_user).
	MaxTasks int
	// MaxBytes is how many bytes of task files a user may keep
	// (max_storage_mb_per_user), counted from user_stats.
	MaxBytes int64
}

// TaskQuotaError is the answer (429 quota_exceeded) to a new task of a user
// who already has maxTasks.
func TaskQuotaError(maxTasks, have int) *Error {
	return Errorf(ErrQuota, CodeQuotaExceeded,
		"task limit reached: at most %d tasks per user (you have %d); delete some tasks first", maxTasks, have)
}

// StorageQuotaError is the answer (429 quota_exceeded) to an upload that
// would take a user who already stores used bytes past maxBytes.
func StorageQuotaError(maxBytes, used int64) *Error {
	return Errorf(ErrQuota, CodeQuotaExceeded,
		"storage limit reached: at most %s of files per user (you use %s); delete some tasks first",
		formatMB(maxBytes), formatMB(used))
}

// formatMB renders a byte count for people: whole MB (2^20) when it is
// one, else MB with one decimal, or KB below a tenth of a MB.
func formatMB(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n < 1<<20/10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// RetentionFrom is the instant task_retention_days counts from: when the
// task finished (CompletedAt), or its CreatedAt when a terminal task never
// recorded one.
func (t *Task) RetentionFrom() time.Time {
	if t.CompletedAt != nil {
		return *t.CompletedAt
	}
	return t.CreatedAt
}
