package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocrbox/ocrbox/core/backup"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/storage/boltstore"
)

// TestMigrateSavesABackupFirst: a database from an older ocrbox is backed
// up into data_dir/backups before its schema changes; an up-to-date one is
// not.
func TestMigrateSavesABackupFirst(t *testing.T) {
	ctx := context.Background()
	cfg := &config.Config{Storage: config.Storage{DataDir: t.TempDir()}}
	st, err := boltstore.Open(ctx, DBPath(cfg), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	old := boltstore.LatestSchema() - 1
	if _, _, err := st.MigrateUpTo(ctx, old); err != nil {
		t.Fatal(err)
	}
	st.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	from, to, saved, err := Migrate(ctx, cfg, "test", log)
	if err != nil || from != old || to != boltstore.LatestSchema() {
		t.Fatalf("Migrate: %d→%d %v", from, to, err)
	}
	if filepath.Dir(saved) != filepath.Join(cfg.Storage.DataDir, "backups") {
		t.Fatalf("backup saved at %q", saved)
	}
	f, err := os.Open(saved)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := backup.Verify(ctx, f)
	if err != nil || m.SchemaVersion != old {
		t.Fatalf("pre-migration backup: %+v %v, want schema %d", m, err, old)
	}
	if fi, _ := f.Stat(); fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup mode %v", fi.Mode())
	}

	_, _, saved, err = Migrate(ctx, cfg, "test", log)
	if err != nil || saved != "" {
		t.Fatalf("second Migrate: saved %q, %v; want no backup", saved, err)
	}
}
