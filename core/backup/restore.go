package backup

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/storage/filestore"
)

// ErrNotEmpty is returned by Restore when the target data directory
// already holds data: a restore never overwrites.
var ErrNotEmpty = errors.New("the data directory is not empty")

// ErrCorrupt wraps every way an archive can be unusable.
var ErrCorrupt = errors.New("not a valid ocrbox backup")

// maxEntry bounds one entry (a database or a task file); anything larger is
// not something ocrbox wrote.
const maxEntry = 1 << 40

// Verify reads a whole backup and checks every entry against the manifest
// without writing anything.
func Verify(ctx context.Context, r io.Reader) (*Manifest, error) {
	return read(ctx, r, func(string, io.Reader) error { return nil })
}

// Restore unpacks a backup into dataDir, which must not exist or be empty.
// It unpacks into a sibling temporary directory first and renames it into
// place only when every checksum matched, so a damaged archive leaves
// nothing behind. checkSchema is called with the restored database's path
// before the rename (e.g. to refuse a schema newer than this ocrbox).
func Restore(ctx context.Context, r io.Reader, dataDir string, checkSchema func(dbPath string) error) (*Manifest, error) {
	dataDir = filepath.Clean(dataDir)
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("restore into %s: %w; restore into a new directory and point storage.data_dir at it", dataDir, ErrNotEmpty)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("restore into %s: %w", dataDir, err)
	}
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o700); err != nil {
		return nil, err
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	tmp := dataDir + ".restore-" + hex.EncodeToString(suffix)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp)
		}
	}()
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	m, err := read(ctx, r, func(name string, body io.Reader) error {
		if dir := filepath.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, 0o700); err != nil {
				return err
			}
		}
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, body); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	if err != nil {
		return nil, err
	}
	if checkSchema != nil {
		if err := checkSchema(filepath.Join(tmp, entryDB)); err != nil {
			return nil, err
		}
	}
	_ = os.Remove(dataDir) // an empty directory given as the target
	if err := os.Rename(tmp, dataDir); err != nil {
		return nil, fmt.Errorf("restore: move into place: %w", err)
	}
	ok = true
	return m, nil
}

// read walks an archive, handing each payload entry to put while hashing
// it, and checks the hashes against the manifest at the end.
func read(ctx context.Context, r io.Reader, put func(name string, body io.Reader) error) (*Manifest, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	tr := tar.NewReader(zr)
	seen := map[string]string{}
	var m *Manifest
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if m != nil {
			return nil, fmt.Errorf("%w: entry %q after the manifest", ErrCorrupt, h.Name)
		}
		if h.Typeflag != tar.TypeReg || h.Size < 0 || h.Size > maxEntry {
			return nil, fmt.Errorf("%w: unexpected entry %q", ErrCorrupt, h.Name)
		}
		if h.Name == entryManifest {
			var mm Manifest
			if err := json.NewDecoder(io.LimitReader(tr, 64<<20)).Decode(&mm); err != nil {
				return nil, fmt.Errorf("%w: manifest: %v", ErrCorrupt, err)
			}
			m = &mm
			continue
		}
		if !allowedEntry(h.Name) {
			return nil, fmt.Errorf("%w: unexpected entry %q", ErrCorrupt, h.Name)
		}
		if _, dup := seen[h.Name]; dup {
			return nil, fmt.Errorf("%w: entry %q twice", ErrCorrupt, h.Name)
		}
		sum := sha256.New()
		body := io.TeeReader(io.LimitReader(tr, h.Size), sum)
		if err := put(h.Name, body); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: %s is truncated", ErrCorrupt, h.Name)
			}
			return nil, fmt.Errorf("restore %s: %w", h.Name, err)
		}
		if _, err := io.Copy(io.Discard, body); err != nil { // Verify's put reads nothing
			return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, h.Name, err)
		}
		seen[h.Name] = hex.EncodeToString(sum.Sum(nil))
	}
	if m == nil {
		return nil, fmt.Errorf("%w: no manifest (the archive is truncated)", ErrCorrupt)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("%w: format %q, this ocrbox reads %q", ErrCorrupt, m.Format, Format)
	}
	if _, ok := seen[entryDB]; !ok {
		return nil, fmt.Errorf("%w: no database in the archive", ErrCorrupt)
	}
	for name, want := range m.SHA256 {
		got, ok := seen[name]
		if !ok {
			return nil, fmt.Errorf("%w: %s is listed in the manifest but missing", ErrCorrupt, name)
		}
		if got != want {
			return nil, fmt.Errorf("%w: %s does not match its checksum", ErrCorrupt, name)
		}
	}
	for name := range seen {
		if _, ok := m.SHA256[name]; !ok {
			return nil, fmt.Errorf("%w: %s is not in the manifest", ErrCorrupt, name)
		}
	}
	return m, nil
}

// allowedEntry accepts only names a backup writes: the database, the root
// files, and files/<user id>/<task id>/<store-made name>.
func allowedEntry(name string) bool {
	if name == entryDB || slices.Contains(rootFiles, name) {
		return true
	}
	rest, ok := strings.CutPrefix(name, filesPrefix)
	if !ok {
		return false
	}
	parts := strings.Split(rest, "/")
	return len(parts) == 3 && domain.ValidID(parts[0]) && domain.ValidID(parts[1]) && filestore.ValidName(parts[2])
}
