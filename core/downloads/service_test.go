package downloads_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/downloads"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/storage/filestore/filestoretest"
	"github.com/ocrbox/ocrbox/test/testenv"
)

type fixture struct {
	store      *boltstore.Store
	tree       *filestore.Store
	svc        *downloads.Service
	logs       *testenv.SyncBuffer
	alice, bob domain.User
	task       *domain.Task // alice's, with an input and a txt file
}

func newFixture(t *testing.T, wrap func(downloads.Store) downloads.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	store := boltstoretest.New(t)
	tree := filestoretest.New(t)
	var err error
	f := &fixture{store: store, tree: tree, logs: &testenv.SyncBuffer{}}
	for _, u := range []*domain.User{&f.alice, &f.bob} {
		email := "alice@example.org"
		if u == &f.bob {
			email = "bob@example.org"
		}
		if *u, err = store.UpsertUser(ctx, domain.User{Email: email, Provider: "local"}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	f.task = &domain.Task{ID: boltstore.NewID(), UserID: f.alice.ID, Filename: "secret.png", Status: domain.StatusCompleted,
		CreatedAt: now, Files: []domain.File{
			{ID: boltstore.NewID(), Kind: domain.KindInput, Name: "secret.png", StoredName: "input.png", Size: 5, ContentType: "image/png"},
			{ID: boltstore.NewID(), Kind: domain.KindTxt, Name: "secret.txt", StoredName: "result.txt", Size: 5, ContentType: "text/plain"},
		}}
	boltstoretest.CreateTasks(t, store, f.task)
	for _, fl := range f.task.Files {
		if err := tree.MakeTaskDir(ctx, f.alice.ID, f.task.ID); err != nil {
			t.Fatal(err)
		}
		if err := tree.WriteFileAtomic(ctx, f.alice.ID, f.task.ID, fl.StoredName, []byte("data-"+string(fl.Kind))); err != nil {
			t.Fatal(err)
		}
	}
	var st downloads.Store = store
	if wrap != nil {
		st = wrap(store)
	}
	f.svc = downloads.NewService(st, tree, slog.New(slog.NewJSONHandler(f.logs, nil)))
	return f
}

// TestOpenAuditsEveryAccess: the owner reads the file; another user gets
// 403, unknown or malformed ids 404; each attempt is one audit event of the
// requesting user and one log line, with user, task, file, ip and result.
func TestOpenAuditsEveryAccess(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	in, txt := f.task.Files[0], f.task.Files[1]
	// A file of bob's own, to ask for under alice's task and vice versa.
	bobTask := &domain.Task{ID: boltstore.NewID(), UserID: f.bob.ID, Filename: "b.png", Status: domain.StatusPending,
		CreatedAt: time.Now(), Files: []domain.File{{ID: boltstore.NewID(), Kind: domain.KindInput, StoredName: "input.png"}}}
	boltstoretest.CreateTasks(t, f.store, bobTask)
	unknown := boltstore.NewID()
	tests := []struct {
		name                string
		user                domain.User
		task, file          string
		want                error
		result, wantContent string
	}{
		{"owner input", f.alice, f.task.ID, in.ID, nil, "allowed", "data-input"},
		{"owner txt", f.alice, f.task.ID, txt.ID, nil, "allowed", "data-txt"},
		{"other user", f.bob, f.task.ID, txt.ID, domain.ErrForbidden, "denied", ""},
		{"other user, own file id", f.bob, f.task.ID, bobTask.Files[0].ID, domain.ErrForbidden, "denied", ""},
		{"owner, another task's file id", f.alice, f.task.ID, bobTask.Files[0].ID, domain.ErrNotFound, "not_found", ""},
		{"unknown task", f.alice, unknown, in.ID, domain.ErrNotFound, "not_found", ""},
		{"unknown file", f.alice, f.task.ID, unknown, domain.ErrNotFound, "not_found", ""},
		{"malformed task id", f.bob, "../../" + f.task.ID, in.ID, domain.ErrNotFound, "not_found", ""},
		{"upper-case task id", f.alice, strings.ToUpper(f.task.ID), in.ID, domain.ErrNotFound, "not_found", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip := "10.0.0." + string(rune('1'+i))
			fh, meta, err := f.svc.Open(ctx, tt.user.ID, tt.task, tt.file, ip)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				b, _ := io.ReadAll(fh)
				fh.Close()
				if string(b) != tt.wantContent || meta.ID != tt.file {
					t.Errorf("read %q (file %s), want %q", b, meta.ID, tt.wantContent)
				}
			} else {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Open err = %v, want %v", err, tt.want)
				}
				if fh != nil {
					t.Error("a file handle came with the error")
				}
				if errors.Is(err, domain.ErrForbidden) {
					for _, secret := range []string{f.task.ID, "secret", f.alice.ID} {
						if strings.Contains(err.Error(), secret) {
							t.Errorf("the 403 error reveals %q: %v", secret, err)
						}
					}
				}
			}
			events, err := f.store.ListAudit(ctx, tt.user.ID, 1)
			if err != nil || len(events) != 1 {
				t.Fatalf("ListAudit = %v, %v", events, err)
			}
			ev := events[0]
			if ev.UserID != tt.user.ID || ev.Action != "download" || ev.Result != tt.result || ev.IP != ip || ev.FileID != tt.file {
				t.Errorf("audit event %+v, want user %s result %s ip %s file %s", ev, tt.user.ID, tt.result, ip, tt.file)
			}
			if ev.TaskID != tt.task {
				t.Errorf("audit task %q, want %q", ev.TaskID, tt.task)
			}
			logs := f.logs.JSONLines(t)
			last := logs[len(logs)-1]
			if last["component"] != "files" || last["user_id"] != tt.user.ID || last["file_id"] != tt.file ||
				last["ip"] != ip || last["result"] != tt.result || last["task_id"] == nil {
				t.Errorf("log line %v", last)
			}
		})
	}
	// Isolation of the trail: each user sees exactly their own attempts.
	for _, u := range []domain.User{f.alice, f.bob} {
		events, err := f.svc.Audit(ctx, u.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, tt := range tests {
			if tt.user.ID == u.ID {
				want++
			}
		}
		if len(events) != want {
			t.Errorf("%s's trail has %d events, want %d", u.Email, len(events), want)
		}
		for _, ev := range events {
			if ev.UserID != u.ID {
				t.Errorf("%s's trail holds an event of %s", u.Email, ev.UserID)
			}
		}
	}
}

// TestOpenClipsClientIDs: ids from the request reach the log bounded and
// without control characters.
func TestOpenClipsClientIDs(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	long := strings.Repeat("x", 5000) + "\n{\"forged\":true}"
	if _, _, err := f.svc.Open(ctx, f.alice.ID, long, long, "1.2.3.4"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Open = %v", err)
	}
	ev, _ := f.store.ListAudit(ctx, f.alice.ID, 1)
	if len(ev) != 1 || len(ev[0].TaskID) > 64 || len(ev[0].FileID) > 64 || strings.Contains(ev[0].TaskID+ev[0].FileID, "\n") {
		t.Errorf("audit event %+v", ev)
	}
	for _, l := range f.logs.JSONLines(t) {
		if l["forged"] != nil {
			t.Error("a forged log line got through")
		}
	}
}

// failingAudit is a store whose audit log cannot be written.
type failingAudit struct{ downloads.Store }

func (failingAudit) AppendAudit(context.Context, domain.AuditEvent) error {
	return errors.New("disk full")
}

// TestOpenFailsClosedWithoutAudit: an access that cannot be recorded is not
// served.
func TestOpenFailsClosedWithoutAudit(t *testing.T) {
	f := newFixture(t, func(s downloads.Store) downloads.Store { return failingAudit{s} })
	fh, _, err := f.svc.Open(context.Background(), f.alice.ID, f.task.ID, f.task.Files[0].ID, "1.2.3.4")
	if err == nil {
		fh.Close()
		t.Fatal("the file was served without an audit record")
	}
	logs := f.logs.JSONLines(t)
	if logs[len(logs)-1]["msg"] != "file access not audited" {
		t.Errorf("log: %v", logs)
	}
}

// TestOpenMissingFileOnDisk: a record whose file is gone is 404, audited.
func TestOpenMissingFileOnDisk(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	if err := f.tree.Remove(ctx, f.alice.ID, f.task.ID, "result.txt"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Open(ctx, f.alice.ID, f.task.ID, f.task.Files[1].ID, "1.2.3.4"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Open = %v, want ErrNotFound", err)
	}
	if ev, _ := f.store.ListAudit(ctx, f.alice.ID, 1); len(ev) != 1 || ev[0].Result != "not_found" {
		t.Errorf("audit = %+v", ev)
	}
}
