package janitor_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/janitor"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/storage/filestore/filestoretest"
)

const day = 24 * time.Hour

// now is the fake clock's start.
var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// index records what the janitor removes from the search index.
type index struct {
	mu      sync.Mutex
	deleted []string
}

func (x *index) Delete(_ context.Context, taskID string) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.deleted = append(x.deleted, taskID)
	return nil
}

func (x *index) ids() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Sorted(slices.Values(x.deleted))
}

type fixture struct {
	dir   string
	store *boltstore.Store
	files *filestore.Store
	users []domain.User
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	f.open(t)
	for _, email := range []string{"alice@example.org", "bob@example.org"} {
		u, err := f.store.UpsertUser(context.Background(), domain.User{Email: email, Provider: "local"})
		if err != nil {
			t.Fatal(err)
		}
		f.users = append(f.users, u)
	}
	return f
}

// open opens the database and file tree (again, after close: a restart).
func (f *fixture) open(t *testing.T) {
	t.Helper()
	f.store = boltstoretest.Open(t, filepath.Join(f.dir, "ocrbox.db"))
	f.files = filestoretest.Open(t, filepath.Join(f.dir, "files"))
}

func (f *fixture) close() {
	f.store.Close()
	f.files.Close()
}

// task stores a task of user in status, created at now+created and
// finished at now+finished (nil: never), with its input on disk.
func (f *fixture) task(t *testing.T, user int, status domain.TaskStatus, created time.Duration, finished *time.Duration) *domain.Task {
	t.Helper()
	ctx := context.Background()
	task := &domain.Task{ID: boltstore.NewID(), UserID: f.users[user].ID, Filename: "doc.png", Status: status,
		CreatedAt: now.Add(created), Files: []domain.File{{ID: boltstore.NewID(), Kind: domain.KindInput,
			StoredName: "input.png", Size: 100, ContentType: "image/png"}}}
	if finished != nil {
		at := now.Add(*finished)
		task.CompletedAt = &at
	}
	boltstoretest.CreateTasks(t, f.store, task)
	if err := f.files.MakeTaskDir(ctx, task.UserID, task.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.files.WriteFileAtomic(ctx, task.UserID, task.ID, "input.png", []byte("png")); err != nil {
		t.Fatal(err)
	}
	return task
}

func (f *fixture) exists(t *testing.T, task *domain.Task) (record, dir bool) {
	t.Helper()
	_, err := f.store.GetTask(context.Background(), task.UserID, task.ID)
	_, serr := os.Stat(filepath.Join(f.dir, "files", task.UserID, task.ID))
	return err == nil, serr == nil
}

func ago(d time.Duration) *time.Duration { v := -d; return &v }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestSweepDeletesExactlyTheExpired: with 30 days of retention exactly the
// terminal tasks finished more than 30 days ago go — records, files and
// index entries — for every user; pending, processing and recent tasks
// stay. A second janitor on the reopened database (a restart) ten days later
// picks up what has expired since, and nothing else.
func TestSweepDeletesExactlyTheExpired(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	type row struct {
		name          string
		task          *domain.Task
		first, second bool // deleted by the first / the second sweep
	}
	rows := []row{
		{"old completed", f.task(t, 0, domain.StatusCompleted, -45*day, ago(44*day)), true, false},
		{"old failed (bob)", f.task(t, 1, domain.StatusFailed, -31*day, ago(31*day)), true, false},
		{"old cancelled, never finished", f.task(t, 0, domain.StatusCancelled, -40*day, nil), true, false},
		{"old pending", f.task(t, 0, domain.StatusPending, -90*day, nil), false, false},
		{"old processing (bob)", f.task(t, 1, domain.StatusProcessing, -90*day, nil), false, false},
		{"completed 25 days ago", f.task(t, 1, domain.StatusCompleted, -26*day, ago(25*day)), false, true},
		{"created long ago, finished 29 days ago", f.task(t, 0, domain.StatusFailed, -60*day, ago(29*day)), false, true},
		{"finished yesterday", f.task(t, 0, domain.StatusCompleted, -2*day, ago(day)), false, false},
	}
	clock := now
	ix := &index{}
	announced := &index{} // the ids told to the event streams
	j := janitor.New(f.store, f.files, ix, janitor.Options{Retention: 30 * day, Batch: 2,
		Now: func() time.Time { return clock }, Deleted: func(t *domain.Task) { _ = announced.Delete(ctx, t.ID) }}, quiet())
	res, err := j.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range rows {
		rec, dir := f.exists(t, r.task)
		if rec == r.first || dir == r.first {
			t.Errorf("%s after the first sweep: record %v, files %v", r.name, rec, dir)
		}
		if r.first {
			want = append(want, r.task.ID)
		}
	}
	slices.Sort(want)
	if got := ix.ids(); !slices.Equal(got, want) {
		t.Errorf("index deletes %v, want %v", got, want)
	}
	if got := announced.ids(); !slices.Equal(got, want) {
		t.Errorf("deletions announced %v, want %v", got, want)
	}
	if res.Deleted != 3 || res.Bytes != 300 || res.Failures != 0 {
		t.Errorf("first sweep %+v", res)
	}
	if res, _ := j.Sweep(ctx); res.Deleted != 0 {
		t.Errorf("an immediate second sweep deleted %d", res.Deleted)
	}

	// Restart: close everything, reopen, a new janitor ten days later.
	f.close()
	f.open(t)
	clock = now.Add(10 * day)
	ix2 := &index{}
	j2 := janitor.New(f.store, f.files, ix2, janitor.Options{Retention: 30 * day,
		Now: func() time.Time { return clock }}, quiet())
	res, err = j2.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want = nil
	for _, r := range rows {
		rec, dir := f.exists(t, r.task)
		gone := r.first || r.second
		if rec == gone || dir == gone {
			t.Errorf("%s after the restart sweep: record %v, files %v", r.name, rec, dir)
		}
		if r.second {
			want = append(want, r.task.ID)
		}
	}
	slices.Sort(want)
	if got := ix2.ids(); !slices.Equal(got, want) || res.Deleted != 2 {
		t.Errorf("restart sweep deleted %d, index deletes %v, want %v", res.Deleted, got, want)
	}
	for _, u := range f.users {
		if st, _ := f.store.UserStats(ctx, u.ID); st.ByStatus[domain.StatusPending]+st.ByStatus[domain.StatusProcessing] != 1 {
			t.Errorf("%s's stats %+v: the unfinished task must stay", u.Email, st)
		}
	}
}

// TestRunSweepsOnSchedule: Run sweeps after FirstDelay and again every
// Interval, and returns when its context ends.
func TestRunSweepsOnSchedule(t *testing.T) {
	f := newFixture(t)
	j := janitor.New(f.store, f.files, &index{}, janitor.Options{Retention: day,
		FirstDelay: 20 * time.Millisecond, Interval: 30 * time.Millisecond, Now: func() time.Time { return now }}, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { j.Run(ctx); close(done) }()
	waitGone := func(task *domain.Task) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if rec, dir := f.exists(t, task); !rec && !dir {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("task %s not removed by the schedule", task.ID)
	}
	waitGone(f.task(t, 0, domain.StatusCompleted, -3*day, ago(2*day)))
	// A task that expires later is picked up by a later sweep.
	waitGone(f.task(t, 1, domain.StatusFailed, -3*day, ago(2*day)))
	keep := f.task(t, 0, domain.StatusPending, -9*day, nil)
	time.Sleep(100 * time.Millisecond)
	if rec, _ := f.exists(t, keep); !rec {
		t.Error("the schedule deleted a pending task")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestSweepNeedsRetention: a janitor without a retention period refuses
// to sweep rather than delete everything finished.
func TestSweepNeedsRetention(t *testing.T) {
	f := newFixture(t)
	task := f.task(t, 0, domain.StatusCompleted, -2*day, ago(day))
	j := janitor.New(f.store, f.files, &index{}, janitor.Options{}, quiet())
	if _, err := j.Sweep(context.Background()); err == nil {
		t.Fatal("Sweep without retention succeeded")
	}
	if rec, _ := f.exists(t, task); !rec {
		t.Error("task deleted")
	}
}

// TestAuditRetention: with only audit_retention set, old audit events go
// and every task stays.
func TestAuditRetention(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	task := f.task(t, 0, domain.StatusCompleted, -400*day, ago(399*day))
	user := task.UserID
	for _, age := range []time.Duration{200 * day, 100 * day, day} {
		if err := f.store.AppendAudit(ctx, domain.AuditEvent{Time: now.Add(-age), UserID: user, Action: "file.download", Result: "allowed"}); err != nil {
			t.Fatal(err)
		}
	}
	j := janitor.New(f.store, f.files, &index{}, janitor.Options{AuditRetention: 90 * day, Batch: 1,
		Now: func() time.Time { return now }}, quiet())
	res, err := j.Sweep(ctx)
	if err != nil || res.AuditDeleted != 2 || res.Deleted != 0 {
		t.Fatalf("sweep: %+v %v, want 2 audit events and no task deleted", res, err)
	}
	left, err := f.store.ListAudit(ctx, user, 0)
	if err != nil || len(left) != 1 || !left[0].Time.Equal(now.Add(-day)) {
		t.Fatalf("left %+v %v", left, err)
	}
	if rec, _ := f.exists(t, task); !rec {
		t.Error("a task was deleted without task retention")
	}
}
