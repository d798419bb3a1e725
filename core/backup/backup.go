// Package backup writes and restores ocrbox backups: one gzip-compressed
// tar holding a consistent copy of the database, the files of every task in
// that copy, the local accounts file and the provider-token key, and last a
// manifest with each entry's SHA-256. The search index is left out: it is
// derived from the database and rebuilt at the first start after a restore.
package backup

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/storage/boltstore"
)

// Format names the archive layout; Restore refuses any other.
const Format = "ocrbox-backup/1"

// Archive entry names.
const (
	entryDB       = "ocrbox.db"
	entryManifest = "manifest.json"
	filesPrefix   = "files/"
)

// rootFiles are the data directory's own files worth keeping: without
// users.json local accounts are gone, without token.key the sealed
// provider tokens in sessions cannot be opened.
var rootFiles = []string{"users.json", "token.key"}

// Manifest describes a backup; it is the archive's last entry.
type Manifest struct {
	Format        string    `json:"format"`
	Version       string    `json:"ocrbox_version"`
	CreatedAt     time.Time `json:"created_at"`
	SchemaVersion int       `json:"schema_version"`
	Tasks         int       `json:"tasks"`
	Files         int       `json:"files"`
	// Bytes is the payload before compression.
	Bytes int64 `json:"bytes"`
	// Missing lists task files deleted between the database snapshot and
	// their copy (a user deleted the task during the backup).
	Missing []string `json:"missing,omitempty"`
	// SHA256 maps every other entry to its hex SHA-256.
	SHA256 map[string]string `json:"sha256"`
}

// Database is the store as a backup reads it.
type Database interface {
	Snapshot(ctx context.Context, fn func(*boltstore.Snapshot) error) error
}

// TaskFiles is the task file tree as a backup reads it.
type TaskFiles interface {
	List(ctx context.Context, userID, taskID string) ([]string, error)
	Open(ctx context.Context, userID, taskID, name string) (*os.File, error)
}

// Source is what a backup copies.
type Source struct {
	DB      Database
	Files   TaskFiles
	DataDir string // users.json and token.key are read from here
	Version string // the running ocrbox's version, recorded in the manifest
}

// Write streams a backup of src to w. The database copy and the task list
// come from one read transaction, which stays open while the files are
// copied, so every task in the copy has its files (unless deleted
// meanwhile: see Manifest.Missing).
func Write(ctx context.Context, w io.Writer, src Source) (*Manifest, error) {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	m := &Manifest{Format: Format, Version: src.Version, CreatedAt: time.Now().UTC(), SHA256: map[string]string{}}
	add := func(name string, size int64, mod time.Time, body func(io.Writer) error) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: mod, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return fmt.Errorf("backup %s: %w", name, err)
		}
		h := sha256.New()
		cw := &countWriter{w: io.MultiWriter(tw, h)}
		if err := body(cw); err != nil {
			return fmt.Errorf("backup %s: %w", name, err)
		}
		if cw.n != size {
			return fmt.Errorf("backup %s: wrote %d bytes, expected %d (file changed while copied)", name, cw.n, size)
		}
		m.SHA256[name] = hex.EncodeToString(h.Sum(nil))
		m.Bytes += size
		return nil
	}
	err = src.DB.Snapshot(ctx, func(sn *boltstore.Snapshot) error {
		if m.SchemaVersion, err = sn.SchemaVersion(); err != nil {
			return err
		}
		if err := add(entryDB, sn.Size(), m.CreatedAt, func(w io.Writer) error { _, err := sn.WriteTo(w); return err }); err != nil {
			return err
		}
		return sn.EachTask(func(userID, taskID string) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			m.Tasks++
			return copyTask(ctx, src.Files, userID, taskID, m, add)
		})
	})
	if err != nil {
		return nil, err
	}
	for _, name := range rootFiles {
		if err := addRootFile(filepath.Join(src.DataDir, name), name, add); err != nil {
			return nil, err
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: entryManifest, Mode: 0o600, Size: int64(len(data)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return m, nil
}

type addFunc func(name string, size int64, mod time.Time, body func(io.Writer) error) error

// copyTask adds one task's files; a file gone since the snapshot is noted,
// not fatal. Temporary files of writes in flight (".tmp-…") are skipped.
func copyTask(ctx context.Context, files TaskFiles, userID, taskID string, m *Manifest, add addFunc) error {
	names, err := files.List(ctx, userID, taskID)
	if err != nil {
		return err
	}
	for _, name := range names {
		if strings.HasPrefix(name, ".") {
			continue
		}
		entry := path.Join("files", userID, taskID, name)
		f, err := files.Open(ctx, userID, taskID, name)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, domain.ErrNotFound) {
			m.Missing = append(m.Missing, entry)
			continue
		}
		if err != nil {
			return err
		}
		fi, err := f.Stat()
		if err == nil {
			err = add(entry, fi.Size(), fi.ModTime(), func(w io.Writer) error { _, err := io.Copy(w, f); return err })
		}
		f.Close()
		if err != nil {
			return err
		}
		m.Files++
	}
	return nil
}

func addRootFile(p, name string, add addFunc) error {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("backup %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return add(name, fi.Size(), fi.ModTime(), func(w io.Writer) error { _, err := io.Copy(w, f); return err })
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
