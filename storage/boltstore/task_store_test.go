package boltstore

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestTaskRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	u := newUser(t, s, "r@example.org")
	in := taskAt(u.ID, 0, "scan.pdf")
	in.QueuedAt = base.Add(time.Minute)
	in.Files[0].SHA256 = "abc"
	mustCreate(t, s, in)

	got, err := s.GetTask(ctx, u.ID, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := in.Clone()
	want.Files[0].TaskID, want.Files[0].UserID = in.ID, u.ID
	// Options stored empty (as records written before they existed) read
	// as their defaults.
	want.PDFOutput, want.PDFText = domain.PDFOutputPDFA, domain.PDFTextSkip
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetTask =\n%+v\nwant\n%+v", got, want)
	}
	// Set ones survive the round trip.
	in2 := taskAt(u.ID, 1, "text.pdf")
	in2.PDFOutput, in2.PDFText = domain.PDFOutputPDF, domain.PDFTextForce
	mustCreate(t, s, in2)
	if got, err := s.GetTask(ctx, u.ID, in2.ID); err != nil || got.PDFOutput != domain.PDFOutputPDF || got.PDFText != domain.PDFTextForce {
		t.Errorf("GetTask = %+v, %v; want pdf_output pdf, pdf_text force", got, err)
	}
	f, err := getFile(ctx, s, u.ID, in.Files[0].ID)
	if err != nil || f.TaskID != in.ID || f.StoredName != "input.pdf" || f.Size != 1000 {
		t.Errorf("GetFile = %+v, %v", f, err)
	}
	checkConsistency(t, s)
}

// TestTaskIsolation: user B can neither read, change, delete nor list user
// A's task or file, and A's task is unchanged afterwards.
func TestTaskIsolation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a := newUser(t, s, "a@example.org")
	b := newUser(t, s, "b@example.org")
	at := taskAt(a.ID, 0, "secret.pdf")
	mustCreate(t, s, at)
	called := false
	tests := []struct {
		name string
		call func() error
	}{
		{"GetTask", func() error { _, err := s.GetTask(ctx, b.ID, at.ID); return err }},
		{"UpdateTask", func() error {
			_, err := s.UpdateTask(ctx, b.ID, at.ID, func(t *domain.Task) error {
				called = true
				t.Filename = "pwned"
				return nil
			})
			return err
		}},
		{"DeleteTask", func() error { _, err := s.DeleteTask(ctx, b.ID, at.ID); return err }},
		{"GetFile", func() error { _, err := getFile(ctx, s, b.ID, at.Files[0].ID); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.call(), domain.ErrForbidden) })
	}
	if called {
		t.Error("UpdateTask called fn on another user's task")
	}
	for _, sort := range []string{SortCreatedAt, SortFilename, SortStatus, SortDuration} {
		for _, status := range []domain.TaskStatus{"", domain.StatusPending} {
			items, total, err := s.ListTasks(ctx, b.ID, ListQuery{Sort: sort, Status: status})
			if err != nil || len(items) != 0 || total != 0 {
				t.Errorf("ListTasks(b, %s, %q) = %d items, total %d, %v", sort, status, len(items), total, err)
			}
		}
	}
	if n, _ := s.CountTasks(ctx, b.ID); n != 0 {
		t.Errorf("CountTasks(b) = %d", n)
	}
	got, err := s.GetTask(ctx, a.ID, at.ID)
	if err != nil || got.Filename != "secret.pdf" {
		t.Errorf("A's task after B's attempts = %+v, %v", got, err)
	}
}

func TestTaskErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	u := newUser(t, s, "e@example.org")
	existing := taskAt(u.ID, 0, "a.pdf")
	mustCreate(t, s, existing)
	fnErr := errors.New("stop")

	dupFile := taskAt(u.ID, time.Second, "dup.pdf")
	dupFile.Files[0].ID = existing.Files[0].ID
	badStatus := taskAt(u.ID, 0, "b.pdf")
	badStatus.Status = "done"
	noCreated := taskAt(u.ID, 0, "c.pdf")
	noCreated.CreatedAt = time.Time{}
	orphan := taskAt(NewID(), 0, "o.pdf")
	update := func(fn func(*domain.Task) error) error {
		_, err := s.UpdateTask(ctx, u.ID, existing.ID, fn)
		return err
	}

	tests := []struct {
		name string
		err  error
		want error
	}{
		{"create same id", s.CreateTaskLimited(ctx, existing.Clone(), domain.Quota{}), domain.ErrConflict},
		{"create file id of other task", s.CreateTaskLimited(ctx, dupFile, domain.Quota{}), domain.ErrConflict},
		{"create bad status", s.CreateTaskLimited(ctx, badStatus, domain.Quota{}), domain.ErrInvalid},
		{"create no created_at", s.CreateTaskLimited(ctx, noCreated, domain.Quota{}), domain.ErrInvalid},
		{"create for unknown user", s.CreateTaskLimited(ctx, orphan, domain.Quota{}), domain.ErrNotFound},
		{"get unknown", func() error { _, err := s.GetTask(ctx, u.ID, NewID()); return err }(), domain.ErrNotFound},
		{"get bad id", func() error { _, err := s.GetTask(ctx, u.ID, "../x"); return err }(), domain.ErrInvalid},
		{"delete unknown", func() error { _, err := s.DeleteTask(ctx, u.ID, NewID()); return err }(), domain.ErrNotFound},
		{"update fn error", update(func(t *domain.Task) error { t.Filename = "x"; return fnErr }), fnErr},
		{"update id", update(func(t *domain.Task) error { t.ID = NewID(); return nil }), domain.ErrInvalid},
		{"update owner", update(func(t *domain.Task) error { t.UserID = NewID(); return nil }), domain.ErrInvalid},
		{"update created_at", update(func(t *domain.Task) error { t.CreatedAt = base.Add(time.Hour); return nil }), domain.ErrInvalid},
		{"update bad status", update(func(t *domain.Task) error { t.Status = "x"; return nil }), domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.err, tt.want) })
	}
	got, _ := s.GetTask(ctx, u.ID, existing.ID)
	if got.Filename != "a.pdf" || got.Status != domain.StatusPending {
		t.Errorf("failed updates leaked into %+v", got)
	}
	checkConsistency(t, s)
}

func TestUpdateTaskKeepsIndexesInStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	u := newUser(t, s, "u@example.org")
	task := taskAt(u.ID, 0, "doc.pdf")
	mustCreate(t, s, task)
	out := domain.File{ID: NewID(), Kind: domain.KindTxt, Name: "doc.txt", StoredName: "result.txt", Size: 50}

	got, err := s.UpdateTask(ctx, u.ID, task.ID, func(t *domain.Task) error {
		t.Status = domain.StatusCompleted
		t.PagesTotal, t.PagesDone, t.DurationMS = 3, 3, 1500
		t.Files = append(t.Files, out)
		return nil
	})
	if err != nil || got.Status != domain.StatusCompleted || len(got.Files) != 2 {
		t.Fatalf("UpdateTask = %+v, %v", got, err)
	}
	checkConsistency(t, s)
	st, _ := s.UserStats(ctx, u.ID)
	want := Stats{Tasks: 1, ByStatus: map[domain.TaskStatus]int{domain.StatusCompleted: 1},
		Pages: 3, Bytes: 1050, TotalDurationMS: 1500, Finished: 1, PerDay: map[string]int{DayKey(base): 1}}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("UserStats = %+v, want %+v", st, want)
	}

	// Retry: drop the output, requeue later; the old file record goes.
	_, err = s.UpdateTask(ctx, u.ID, task.ID, func(t *domain.Task) error {
		t.Status, t.QueuedAt, t.Files = domain.StatusPending, base.Add(time.Hour), t.Files[:1]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = getFile(ctx, s, u.ID, out.ID)
	wantErr(t, err, domain.ErrNotFound)
	checkConsistency(t, s)

	deleted, err := s.DeleteTask(ctx, u.ID, task.ID)
	if err != nil || deleted.ID != task.ID {
		t.Fatalf("DeleteTask = %+v, %v", deleted, err)
	}
	if st, _ := s.UserStats(ctx, u.ID); !st.isZero() {
		t.Errorf("stats after delete = %+v", st)
	}
	checkConsistency(t, s)
}

// TestCreateTaskQuota: the task and storage limits are checked in the
// create transaction, so concurrent creates never overshoot them.
func TestCreateTaskQuota(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name    string
		quota   domain.Quota
		created int // of 10 tasks of 1000 bytes each
		msg     string
	}{
		{"no limit", domain.Quota{}, 10, ""},
		{"tasks", domain.Quota{MaxTasks: 3}, 3, "at most 3 tasks per user"},
		{"bytes", domain.Quota{MaxBytes: 4500}, 4, "storage limit reached"},
		{"bytes exactly", domain.Quota{MaxBytes: 5000}, 5, "storage limit reached"},
		{"both, bytes first", domain.Quota{MaxTasks: 8, MaxBytes: 2000}, 2, "storage limit reached"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			u := newUser(t, s, "q@example.org")
			other := newUser(t, s, "other@example.org")
			mustCreate(t, s, taskAt(other.ID, 0, "other.pdf")) // another user's usage does not count
			errs := make(chan error, 10)
			for i := range 10 {
				go func() { errs <- s.CreateTaskLimited(ctx, taskAt(u.ID, time.Duration(i), "f.pdf"), tt.quota) }()
			}
			ok := 0
			for range 10 {
				err := <-errs
				if err == nil {
					ok++
					continue
				}
				var de *domain.Error
				if !errors.As(err, &de) || !errors.Is(err, domain.ErrQuota) || de.Code != "quota_exceeded" {
					t.Fatalf("refusal = %v, want a quota_exceeded domain error", err)
				}
				if !strings.Contains(de.Message, tt.msg) {
					t.Errorf("message %q lacks %q", de.Message, tt.msg)
				}
			}
			if ok != tt.created {
				t.Errorf("%d tasks created, want %d", ok, tt.created)
			}
			checkConsistency(t, s)
		})
	}
}
