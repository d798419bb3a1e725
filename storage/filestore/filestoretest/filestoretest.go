// Package filestoretest gives other packages' tests a real file tree
// (storage/filestore), closed when the test ends: the companion of
// boltstoretest for services that keep both a database and files.
//
//	store := boltstoretest.New(t)
//	files := filestoretest.New(t)
package filestoretest

import (
	"path/filepath"
	"testing"

	"github.com/ocrbox/ocrbox/storage/filestore"
)

// New opens a file tree in a fresh temporary directory and closes it when
// t ends.
func New(t testing.TB) *filestore.Store {
	t.Helper()
	return Open(t, filepath.Join(t.TempDir(), "files"))
}

// Open opens the file tree rooted at dir (created if missing) and closes it
// when t ends: for a test that lays out a data directory as the server
// does, reaches into it, or opens it again after closing it (a restart).
// Closing it earlier is fine.
func Open(t testing.TB, dir string) *filestore.Store {
	t.Helper()
	s, err := filestore.New(dir)
	if err != nil {
		t.Fatalf("open file tree %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close file tree %s: %v", dir, err)
		}
	})
	return s
}
