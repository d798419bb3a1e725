package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocrbox/ocrbox/core/config"
)

// TestDataDirIsMadePrivate: a data directory others can read is made 0700
// when the server opens it.
func TestDataDirIsMadePrivate(t *testing.T) {
	t.Parallel()
	for _, perm := range []os.FileMode{0o755, 0o777, 0o750, 0o700} {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, perm); err != nil { // past the umask
			t.Fatal(err)
		}
		st, err := openStore(context.Background(), &config.Config{Storage: config.Storage{DataDir: dir}})
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o700 {
			t.Errorf("data directory made %04o is %04o after start, want 0700", perm, got)
		}
	}
}
