package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ocrbox/ocrbox/core/domain"
)

// base is a fixed instant so tests do not depend on the clock.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newStore opens a migrated store in a temporary directory.
func newStore(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "ocrbox.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if _, _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// newUser creates a user with the given email.
func newUser(t *testing.T, s *Store, email string) domain.User {
	t.Helper()
	u, err := s.UpsertUser(context.Background(), domain.User{Email: email, Name: email, Provider: "local"})
	if err != nil {
		t.Fatalf("UpsertUser(%s): %v", email, err)
	}
	return u
}

// taskAt builds a pending task of userID created and queued at base+offset.
func taskAt(userID string, offset time.Duration, filename string) *domain.Task {
	at := base.Add(offset)
	return &domain.Task{
		ID: NewID(), UserID: userID, Filename: filename, Status: domain.StatusPending,
		Engine: "tesseract", Lang: "eng", Outputs: []domain.FileKind{domain.KindTxt},
		CreatedAt: at, QueuedAt: at,
		Files: []domain.File{{
			ID: NewID(), Kind: domain.KindInput, Name: filename, StoredName: "input.pdf",
			Size: 1000, ContentType: "application/pdf", CreatedAt: at,
		}},
	}
}

// mustCreate stores tasks without a quota or fails the test (what
// boltstoretest.CreateTasks is to other packages).
func mustCreate(t *testing.T, s *Store, tasks ...*domain.Task) {
	t.Helper()
	for _, task := range tasks {
		if err := s.CreateTaskLimited(context.Background(), task, domain.Quota{}); err != nil {
			t.Fatalf("CreateTask(%s): %v", task.Filename, err)
		}
	}
}

// getFile reads one of userID's file records by id, with TaskID and UserID
// set: another user's file → domain.ErrForbidden, unknown →
// domain.ErrNotFound. The server reaches files through their task; the
// tests read task_files directly to check it is kept in step.
func getFile(ctx context.Context, s *Store, userID, fileID string) (domain.File, error) {
	var f fileRecord
	err := s.view(ctx, func(x *txn) error {
		found, err := getJSON(x.taskFiles, []byte(fileID), &f)
		switch {
		case err != nil:
			return err
		case !found:
			return fmt.Errorf("file %s: %w", fileID, domain.ErrNotFound)
		case f.UserID != userID:
			return fmt.Errorf("file %s: %w", fileID, domain.ErrForbidden)
		}
		return nil
	})
	if err != nil {
		return domain.File{}, fmt.Errorf("get file: %w", err)
	}
	return f.file(f.TaskID, f.UserID), nil
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

// checkConsistency recounts everything from the primary records and
// compares with every index and counter.
func checkConsistency(t *testing.T, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		x, err := newTxn(tx)
		if err != nil {
			return err
		}
		recount := map[string]Stats{}
		files := 0
		err = x.tasks.ForEach(func(k, v []byte) error {
			var r taskRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			task := r.task()
			if !hasKey(x.tasksByUser, userTaskKey(task.UserID, task.CreatedAt, task.ID)) {
				return fmt.Errorf("task %s missing from tasks_by_user", task.ID)
			}
			sk, err := statusKey(task.Status, task.QueuedAt, task.ID)
			if err != nil {
				return err
			}
			if got := x.tasksByStatus.Get(sk); string(got) != task.UserID {
				return fmt.Errorf("task %s: tasks_by_status value %q", task.ID, got)
			}
			usk, err := userStatusKey(task.UserID, task.Status, task.CreatedAt, task.ID)
			if err != nil {
				return err
			}
			if !hasKey(x.tasksByUserStatus, usk) {
				return fmt.Errorf("task %s missing from tasks_by_user_status", task.ID)
			}
			for _, f := range task.Files {
				var fr fileRecord
				if found, err := getJSON(x.taskFiles, []byte(f.ID), &fr); err != nil || !found {
					return fmt.Errorf("file %s missing: %v", f.ID, err)
				}
				if fr.TaskID != task.ID || fr.UserID != task.UserID {
					return fmt.Errorf("file %s owned by %s/%s", f.ID, fr.UserID, fr.TaskID)
				}
				files++
			}
			st := recount[task.UserID]
			st.add(contribution(task), 1)
			recount[task.UserID] = st
			return nil
		})
		if err != nil {
			return err
		}
		n := x.tasks.Stats().KeyN
		for name, b := range map[string]*bolt.Bucket{"tasks_by_user": x.tasksByUser, "tasks_by_status": x.tasksByStatus,
			"tasks_by_user_status": x.tasksByUserStatus} {
			if got := b.Stats().KeyN; got != n {
				return fmt.Errorf("%s has %d keys, tasks has %d", name, got, n)
			}
		}
		if got := x.taskFiles.Stats().KeyN; got != files {
			return fmt.Errorf("task_files has %d keys, tasks hold %d files", got, files)
		}
		stored := map[string]Stats{}
		err = x.userStats.ForEach(func(k, v []byte) error {
			var st Stats
			if err := json.Unmarshal(v, &st); err != nil {
				return err
			}
			stored[string(k)] = st
			return nil
		})
		if err != nil {
			return err
		}
		for id, st := range recount {
			if st.isZero() {
				delete(recount, id)
			}
		}
		if !reflect.DeepEqual(stored, recount) {
			return fmt.Errorf("user_stats drifted:\nstored  %+v\nrecount %+v", stored, recount)
		}
		return checkSessionIndexes(x)
	})
	if err != nil {
		t.Fatalf("consistency: %v", err)
	}
}

func checkSessionIndexes(x *txn) error {
	refresh := 0
	err := x.sessions.ForEach(func(k, _ []byte) error {
		sess, err := x.getSession(string(k))
		if err != nil {
			return err
		}
		if !hasKey(x.sessionsByUser, userSessionKey(sess.UserID, sess.TokenHash)) {
			return fmt.Errorf("session %s missing from sessions_by_user", k)
		}
		if sess.RefreshHash != "" {
			refresh++
			if string(x.sessionsByRefresh.Get([]byte(sess.RefreshHash))) != sess.TokenHash {
				return fmt.Errorf("session %s missing from sessions_by_refresh", k)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n, got := x.sessions.Stats().KeyN, x.sessionsByUser.Stats().KeyN; n != got {
		return fmt.Errorf("sessions_by_user has %d keys, sessions %d", got, n)
	}
	if got := x.sessionsByRefresh.Stats().KeyN; got != refresh {
		return fmt.Errorf("sessions_by_refresh has %d keys, want %d", got, refresh)
	}
	return nil
}

// hasKey reports whether b holds k; Get cannot tell a nil value from a
// missing key.
func hasKey(b *bolt.Bucket, k []byte) bool {
	got, _ := b.Cursor().Seek(k)
	return bytes.Equal(got, k)
}
