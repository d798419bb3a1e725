// Package filestore keeps each task's files on disk in a per-user tree:
//
//	<root>/<user id>/<task id>/<name>
//
// where root is data_dir/files. Every operation goes through an *os.Root,
// and then through a Root opened on the task's own directory, so no path,
// symlink or ".." can reach outside the task: in particular not another
// user's files. Ids must be canonical UUID strings and names server-made
// (input.pdf, page-0001.json, result.txt: ^[a-z0-9][a-z0-9._-]{0,63}$);
// anything else is rejected with domain.ErrInvalid before the disk is
// touched.
//
// Only MakeTaskDir creates a task's directory (the upload does, before its
// first byte); every other write needs the directory to exist and fails with
// domain.ErrNotFound once RemoveTask took it away. Writes and RemoveTask of
// the same task are serialised, so a worker finishing a page while its task
// is deleted can neither recreate the directory nor leave a file behind.
package filestore

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"os"
	"sync"

	"github.com/ocrbox/ocrbox/core/domain"
)

const (
	dirPerm  = 0o700
	filePerm = 0o600
	maxName  = 64
)

// Store is the per-user file tree. It is safe for concurrent use.
type Store struct {
	root  *os.Root
	dir   string
	locks taskLocks
}

// taskLocks serialise adding a file to a task directory (shared) with
// removing the directory (exclusive): os.RemoveAll fails with "directory
// not empty", or the file outlives its task, when a file appears while it
// runs. Striped by task id: a fixed, small amount of memory.
type taskLocks struct {
	seed    maphash.Seed
	stripes [64]sync.RWMutex
}

func (l *taskLocks) of(taskID string) *sync.RWMutex {
	return &l.stripes[maphash.String(l.seed, taskID)%uint64(len(l.stripes))]
}

// New creates dir (0700) if needed and opens it as the root of the tree.
func New(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("create file store %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open file store %s: %w", dir, err)
	}
	st := &Store{root: root, dir: dir}
	st.locks.seed = maphash.MakeSeed()
	return st, nil
}

// Close releases the root directory handle. Files already opened stay
// usable.
func (s *Store) Close() error {
	if err := s.root.Close(); err != nil {
		return fmt.Errorf("close file store %s: %w", s.dir, err)
	}
	return nil
}

// Dir returns the root directory path.
func (s *Store) Dir() string { return s.dir }

// validID is domain.ValidID: one spelling per id.
func validID(s string) bool { return domain.ValidID(s) }

// validName reports whether name matches ^[a-z0-9][a-z0-9._-]{0,63}$.
func validName(name string) bool {
	if len(name) == 0 || len(name) > maxName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		if !alnum && (i == 0 || (c != '.' && c != '_' && c != '-')) {
			return false
		}
	}
	return true
}

func checkIDs(userID, taskID string) error {
	if !validID(userID) {
		return fmt.Errorf("user id %q: %w", userID, domain.ErrInvalid)
	}
	if !validID(taskID) {
		return fmt.Errorf("task id %q: %w", taskID, domain.ErrInvalid)
	}
	return nil
}

func checkPath(userID, taskID, name string) error {
	if err := checkIDs(userID, taskID); err != nil {
		return err
	}
	if !validName(name) {
		return fmt.Errorf("file name %q: %w", name, domain.ErrInvalid)
	}
	return nil
}

// openDir opens dir under parent as a Root of its own, creating it first
// when create is set. A symlink in place of the directory is refused, and
// the opened directory must be the one that was checked.
func openDir(parent *os.Root, dir string, create bool) (*os.Root, error) {
	if create {
		if err := parent.Mkdir(dir, dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	before, err := parent.Lstat(dir)
	if err != nil {
		return nil, err
	}
	if !before.IsDir() {
		return nil, fmt.Errorf("%s: not a directory (mode %s)", dir, before.Mode())
	}
	r, err := parent.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	after, err := r.Stat(".")
	if err == nil && !os.SameFile(before, after) {
		err = fmt.Errorf("%s: replaced while opening", dir)
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// taskRoot opens <user>/<task> as a Root, creating both when create is set.
func (s *Store) taskRoot(ctx context.Context, userID, taskID string, create bool) (*os.Root, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ur, err := openDir(s.root, userID, create)
	if err != nil {
		return nil, wrapNotExist(err)
	}
	defer ur.Close()
	tr, err := openDir(ur, taskID, create)
	if err != nil {
		return nil, wrapNotExist(err)
	}
	return tr, nil
}

// wrapNotExist adds domain.ErrNotFound to "no such file" errors so callers
// can test for either.
func wrapNotExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", domain.ErrNotFound, err)
	}
	return err
}

// ValidName reports whether name is a file name the store makes (lower-case
// letters, digits and . _ - after the first character): restores check
// archive entries with it.
func ValidName(name string) bool { return validName(name) }
