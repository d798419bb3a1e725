package filestore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// TempFile is a file being written that appears under its final name only
// when committed, so readers never see a half-written file. Write through
// the embedded *os.File (io.Copy works), then call Commit or Abort rather
// than Close. `defer tf.Abort()` right after CreateTemp is safe: Abort after
// Commit does nothing.
type TempFile struct {
	*os.File
	dir  *os.Root
	tmp  string
	name string
	done bool
	lock *sync.RWMutex // the task's: a removal cannot run between rename and sync
}

// CreateTemp starts an atomic write of a task's file called name in an
// existing task directory (domain.ErrNotFound once the task is removed). The
// temporary name starts with a dot, which no
// valid name does, so it can never be opened or clash with a real file.
func (s *Store) CreateTemp(ctx context.Context, userID, taskID, name string) (*TempFile, error) {
	if err := checkPath(userID, taskID, name); err != nil {
		return nil, fmt.Errorf("create temp file: %w", err)
	}
	mu := s.locks.of(taskID)
	mu.RLock()
	defer mu.RUnlock()
	tr, err := s.taskRoot(ctx, userID, taskID, false)
	if err != nil {
		return nil, fmt.Errorf("create temp file for %s/%s/%s: %w", userID, taskID, name, err)
	}
	suffix := make([]byte, 8)
	_, _ = rand.Read(suffix) // never fails (crypto/rand documents it)
	tmp := ".tmp-" + name + "-" + hex.EncodeToString(suffix)
	f, err := tr.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		tr.Close()
		return nil, fmt.Errorf("create temp file for %s/%s/%s: %w", userID, taskID, name, err)
	}
	return &TempFile{File: f, dir: tr, tmp: tmp, name: name, lock: mu}, nil
}

// Commit flushes the file to disk and renames it to its final name,
// replacing any file of that name.
func (t *TempFile) Commit() error {
	if t.done {
		return errors.New("commit temp file: already finished")
	}
	err := t.File.Sync()
	if cerr := t.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// RemoveTask may have run while the file was written: then the
		// temporary file is gone and so is the directory, and the rename
		// fails instead of leaving a result without a task.
		t.lock.RLock()
		err = wrapNotExist(t.dir.Rename(t.tmp, t.name))
		if err == nil {
			err = syncDir(t.dir)
		}
		t.lock.RUnlock()
	}
	if err != nil {
		_ = t.Abort()
		return fmt.Errorf("commit %s: %w", t.name, err)
	}
	t.done = true
	return t.dir.Close()
}

// Abort discards the file. It does nothing after Commit or a previous
// Abort.
func (t *TempFile) Abort() error {
	if t.done {
		return nil
	}
	t.done = true
	_ = t.File.Close() // may already be closed by a failed Commit
	err := t.dir.Remove(t.tmp)
	if errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if cerr := t.dir.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("abort temp file for %s: %w", t.name, err)
	}
	return nil
}

// WriteFileAtomic writes data to a task's file called name so that it
// appears complete or not at all, replacing any previous version.
func (s *Store) WriteFileAtomic(ctx context.Context, userID, taskID, name string, data []byte) error {
	tf, err := s.CreateTemp(ctx, userID, taskID, name)
	if err != nil {
		return err
	}
	defer tf.Abort()
	if _, err := tf.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return tf.Commit()
}

// syncDir makes a rename in dir durable.
func syncDir(dir *os.Root) error {
	d, err := dir.Open(".")
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
