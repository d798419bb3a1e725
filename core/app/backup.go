package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ocrbox/ocrbox/core/admin"
	"github.com/ocrbox/ocrbox/core/backup"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/filestore"
)

// Backup writes a backup of cfg's data directory to out. A running server
// holds the database lock, so it makes the copy and streams it through its
// admin socket; otherwise the database is opened here. The archive goes to
// a temporary file next to out, is read back and verified, and only then
// renamed to out (0600: it holds password hashes and the token key).
func Backup(ctx context.Context, cfg *config.Config, version, out string) (m *backup.Manifest, viaServer bool, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".partial-*")
	if err != nil {
		return nil, false, fmt.Errorf("backup: %w", err)
	}
	defer func() {
		tmp.Close()
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return nil, false, err
	}
	c, err := admin.Dial(ctx, AdminSocketPath(cfg))
	switch {
	case err == nil:
		viaServer = true
		err = c.Backup(ctx, tmp)
	case errors.Is(err, admin.ErrNoServer):
		err = backupDirect(ctx, cfg, version, tmp)
	}
	if err != nil {
		return nil, viaServer, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, viaServer, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, viaServer, err
	}
	if m, err = backup.Verify(ctx, tmp); err != nil {
		return nil, viaServer, fmt.Errorf("the backup just written does not verify: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return nil, viaServer, fmt.Errorf("backup: %w", err)
	}
	return m, viaServer, nil
}

// backupDirect backs up with the server stopped.
func backupDirect(ctx context.Context, cfg *config.Config, version string, w io.Writer) error {
	if _, err := os.Stat(DBPath(cfg)); err != nil {
		return fmt.Errorf("no database to back up in %s: %w", cfg.Storage.DataDir, err)
	}
	store, err := boltstore.Open(ctx, DBPath(cfg), boltstore.Options{})
	if errors.Is(err, boltstore.ErrLocked) {
		return fmt.Errorf("a running server holds the database but its admin socket %s does not answer: %w", AdminSocketPath(cfg), err)
	}
	if err != nil {
		return err
	}
	defer store.Close()
	return writeBackup(ctx, cfg, store, version, w)
}

// writeBackup is the one way a backup is made, by the server or the CLI.
func writeBackup(ctx context.Context, cfg *config.Config, store *boltstore.Store, version string, w io.Writer) error {
	files, err := filestore.New(filepath.Join(cfg.Storage.DataDir, "files"))
	if err != nil {
		return err
	}
	defer files.Close()
	_, err = backup.Write(ctx, w, backup.Source{DB: store, Files: files, DataDir: cfg.Storage.DataDir, Version: version})
	return err
}

// Restore unpacks the backup file into cfg's data directory, which must be
// empty or missing; no server may be running on it. The database's schema
// must be one this ocrbox knows (a newer one needs the newer binary).
func Restore(ctx context.Context, cfg *config.Config, file string) (*backup.Manifest, error) {
	if _, err := admin.Dial(ctx, AdminSocketPath(cfg)); err == nil {
		return nil, errors.New("a server is running on this data directory: stop it, and restore into an empty directory")
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return backup.Restore(ctx, f, cfg.Storage.DataDir, func(dbPath string) error {
		st, err := boltstore.Open(ctx, dbPath, boltstore.Options{})
		if err != nil {
			return fmt.Errorf("the backup's database: %w", err)
		}
		return st.Close()
	})
}

// preMigrationBackup saves the data directory before a schema migration,
// into data_dir/backups/pre-migrate-v<from>-<time>.tar.gz, and returns the
// path ("" when there is nothing to migrate).
func preMigrationBackup(ctx context.Context, cfg *config.Config, store *boltstore.Store, version string, log *slog.Logger) (string, error) {
	from, err := store.SchemaVersion(ctx)
	if err != nil {
		return "", err
	}
	if from == 0 || from >= boltstore.LatestSchema() {
		return "", nil // a new database, or nothing to do (or too new: Migrate says so)
	}
	dir := filepath.Join(cfg.Storage.DataDir, "backups")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	out := filepath.Join(dir, fmt.Sprintf("pre-migrate-v%d-%s.tar.gz", from, time.Now().UTC().Format("20060102T150405Z")))
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if err := writeBackup(ctx, cfg, store, version, f); err != nil {
		f.Close()
		os.Remove(out)
		return "", fmt.Errorf("backup before migrating schema %d: %w", from, err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	log.Info("backed up the data directory before migrating the schema", "path", out, "from", from, "to", boltstore.LatestSchema())
	return out, nil
}
