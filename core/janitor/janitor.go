// Package janitor enforces the retention limits: on a schedule it deletes
// finished tasks older than task_retention_days — records, search index
// entries and files — and audit events older than
// limits.audit_retention_days (the download audit log; 0, the default,
// keeps it forever), and logs each task removal and a summary per sweep.
//
// It keeps no state of its own: what is due is read from the database at
// every sweep, so a restart loses nothing (the first sweep runs shortly
// after start, then one per interval). Pending and processing tasks are
// never deleted; the store checks that in the same transaction as the
// delete.
package janitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

// Store is the retention path of the database (boltstore): it deletes, in
// one transaction, up to limit terminal tasks that finished before before
// and returns them. It takes no user id and is for the janitor only.
type Store interface {
	DeleteExpiredTasks(ctx context.Context, before time.Time, limit int) ([]*domain.Task, error)
	// DeleteAuditBefore removes up to limit audit events older than before.
	DeleteAuditBefore(ctx context.Context, before time.Time, limit int) (int, error)
}

// TaskFiles removes a task's directory (filestore).
type TaskFiles interface {
	RemoveTask(ctx context.Context, userID, taskID string) error
}

// Deindexer removes a task from the search index (storage/search).
type Deindexer interface {
	Delete(ctx context.Context, taskID string) error
}

// Defaults of Options.
const (
	DefaultInterval   = time.Hour
	DefaultFirstDelay = time.Minute
	DefaultBatch      = 100
)

// Options configure the janitor.
type Options struct {
	// Retention is how long a finished task is kept (task_retention_days);
	// 0 keeps tasks forever.
	Retention time.Duration
	// AuditRetention is how long an audit event is kept
	// (audit_retention_days); 0 keeps them forever.
	AuditRetention time.Duration
	// Interval is the time between sweeps; default one hour.
	Interval time.Duration
	// FirstDelay is the time from Run to the first sweep, so a restart
	// does not compete with the start-up work; default one minute.
	FirstDelay time.Duration
	// Batch is how many tasks one database transaction deletes.
	Batch int
	// Now is the clock (tests set a fake one); default time.Now.
	Now func() time.Time
	// Deleted, when set, is told about each task removed, so open event
	// streams drop it (tasks.Events.Deleted).
	Deleted func(t *domain.Task)
}

// Janitor deletes expired tasks.
type Janitor struct {
	store Store
	files TaskFiles
	index Deindexer
	opts  Options
	log   *slog.Logger
}

// New builds a janitor; call Run to start its schedule, or Sweep once.
func New(store Store, files TaskFiles, index Deindexer, opts Options, log *slog.Logger) *Janitor {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.FirstDelay <= 0 {
		opts.FirstDelay = DefaultFirstDelay
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Janitor{store: store, files: files, index: index, opts: opts, log: log.With("component", "janitor")}
}

// Result sums up one sweep.
type Result struct {
	// Deleted is how many tasks were removed.
	Deleted int
	// AuditDeleted is how many audit events were removed.
	AuditDeleted int
	// Bytes is the size of their files.
	Bytes int64
	// Failures counts file or index removals that failed (the task record
	// is gone; the leftovers are logged).
	Failures int
}

// Run sweeps FirstDelay after it starts, then every Interval, until ctx
// ends. A failed sweep is logged and retried at the next interval.
func (j *Janitor) Run(ctx context.Context) {
	j.log.Info("retention janitor started", "retention", j.opts.Retention.String(), "audit_retention", j.opts.AuditRetention.String(),
		"interval", j.opts.Interval.String(), "first_sweep_in", j.opts.FirstDelay.String())
	timer := time.NewTimer(j.opts.FirstDelay)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		if _, err := j.Sweep(ctx); err != nil && ctx.Err() == nil {
			j.log.Error("retention sweep failed; retrying at the next interval", "error", err)
		}
		timer.Reset(j.opts.Interval)
	}
}

// Sweep deletes every task that finished more than Retention ago and every
// audit event older than AuditRetention, batch by batch, and returns what
// it removed. A zero retention leaves that kind alone.
func (j *Janitor) Sweep(ctx context.Context) (Result, error) {
	if j.opts.Retention < 0 || j.opts.AuditRetention < 0 || (j.opts.Retention == 0 && j.opts.AuditRetention == 0) {
		return Result{}, fmt.Errorf("retention sweep: retention %s, audit retention %s: %w", j.opts.Retention, j.opts.AuditRetention, domain.ErrInvalid)
	}
	start := time.Now()
	now := j.opts.Now().UTC()
	var res Result
	if j.opts.AuditRetention > 0 {
		cutoff := now.Add(-j.opts.AuditRetention)
		for {
			n, err := j.store.DeleteAuditBefore(ctx, cutoff, j.opts.Batch*10)
			res.AuditDeleted += n
			if err != nil {
				return res, fmt.Errorf("audit retention sweep: %w", err)
			}
			if n < j.opts.Batch*10 {
				break
			}
		}
	}
	if j.opts.Retention == 0 {
		j.summary(res, time.Time{}, start, nil)
		return res, nil
	}
	cutoff := now.Add(-j.opts.Retention)
	for {
		tasks, err := j.store.DeleteExpiredTasks(ctx, cutoff, j.opts.Batch)
		if err != nil {
			j.summary(res, cutoff, start, err)
			return res, fmt.Errorf("retention sweep: %w", err)
		}
		// The records are gone; the rest must happen even if ctx ends now.
		cleanup := context.WithoutCancel(ctx)
		for _, t := range tasks {
			j.remove(cleanup, t, now, &res)
		}
		if len(tasks) < j.opts.Batch {
			break
		}
	}
	j.summary(res, cutoff, start, nil)
	return res, nil
}

// remove deletes what lives beside the record of a deleted task
// (tasks.RemoveLeftovers).
func (j *Janitor) remove(ctx context.Context, t *domain.Task, now time.Time, res *Result) {
	var bytes int64
	for _, f := range t.Files {
		bytes += f.Size
	}
	log := j.log.With("task_id", t.ID, "user_id", t.UserID)
	res.Deleted++
	res.Bytes += bytes
	var left *tasks.LeftoversError
	if errors.As(tasks.RemoveLeftovers(ctx, j.files, j.index, t.UserID, t.ID), &left) {
		if left.Files != nil {
			res.Failures++
			log.Error("expired task: files not removed", "error", left.Files)
		}
		if left.Entry != nil {
			res.Failures++
			log.Error("expired task: search entry not removed (ocrbox reindex drops it)", "error", left.Entry)
		}
	}
	if j.opts.Deleted != nil {
		j.opts.Deleted(t)
	}
	log.Info("expired task removed", "status", string(t.Status),
		"age", now.Sub(t.RetentionFrom()).Round(time.Second).String(), "bytes", bytes)
}

func (j *Janitor) summary(res Result, cutoff, start time.Time, err error) {
	attrs := []any{"deleted", res.Deleted, "bytes", res.Bytes, "failures", res.Failures,
		"audit_deleted", res.AuditDeleted, "ms", time.Since(start).Milliseconds()}
	if !cutoff.IsZero() {
		attrs = append(attrs, "cutoff", cutoff.Format(time.RFC3339))
	}
	if err != nil {
		attrs = append(attrs, "error", err)
	}
	j.log.Info("retention sweep", attrs...)
}
