package localauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// fileVersion is the users file format written by this package.
const fileVersion = 1

// maxFileBytes bounds what is read from the users file (~10^5 accounts).
const maxFileBytes = 64 << 20

// fileData is the on-disk layout.
type fileData struct {
	Version int          `json:"version"`
	Users   []userRecord `json:"users"`
}

// userRecord is one account as stored, hash included. It never leaves the
// package.
type userRecord struct {
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	PasswordHash string    `json:"password_hash"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Disabled     bool      `json:"disabled"`
}

func (r userRecord) entry() UserEntry {
	return UserEntry{Email: r.Email, Name: r.Name, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Disabled: r.Disabled}
}

// snapshot returns the current accounts, re-reading the file only when it
// is not the one last read. The set is shared: callers must not modify it.
func (u *UserFile) snapshot() (*userSet, error) {
	fi, err := os.Stat(u.path)
	if errors.Is(err, fs.ErrNotExist) {
		return newUserSet(nil), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read users file: %w", err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.cacheInfo != nil && sameFileVersion(u.cacheInfo, fi) {
		return u.cache, nil
	}
	users, info, err := readUsers(u.path)
	if err != nil {
		return nil, err
	}
	u.cache, u.cacheInfo = newUserSet(users), info
	return u.cache, nil
}

// sameFileVersion reports whether a and b describe the same content: an
// atomic replace gives a new inode, an in-place edit a new size or mtime.
func sameFileVersion(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// update runs change on a fresh read of the file under the cross-process
// lock and writes the result atomically. If change fails nothing is written.
func (u *UserFile) update(ctx context.Context, change func(users map[string]userRecord, now time.Time) error) error {
	if err := acquire(ctx, u.writeSem); err != nil {
		return err
	}
	defer func() { <-u.writeSem }()

	if err := os.MkdirAll(filepath.Dir(u.path), 0o700); err != nil {
		return fmt.Errorf("create users file directory: %w", err)
	}
	lock, err := acquireLock(ctx, u.path+".lock")
	if err != nil {
		return err
	}
	defer lock.release()

	users, _, err := readUsers(u.path)
	if err != nil {
		return err
	}
	if err := change(users, time.Now().UTC().Truncate(time.Second)); err != nil {
		return err
	}
	if err := writeUsers(u.path, users); err != nil {
		return err
	}
	// Cache what was just written; the lock is still held, so the file on
	// disk is exactly this.
	if fi, err := os.Stat(u.path); err == nil {
		set := newUserSet(users)
		u.mu.Lock()
		u.cache, u.cacheInfo = set, fi
		u.mu.Unlock()
	}
	return nil
}

// readUsers parses the file into a new map. A missing file is an empty map
// and a nil FileInfo.
func readUsers(path string) (map[string]userRecord, os.FileInfo, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]userRecord{}, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read users file: %w", err)
	}
	defer f.Close()
	// Stat the open file, not the path: the cache must describe what was
	// actually read even if the path is replaced meanwhile.
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("read users file: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read users file: %w", err)
	}
	if len(data) > maxFileBytes {
		return nil, nil, fmt.Errorf("read %s: %w: larger than %d bytes", path, ErrCorruptFile, maxFileBytes)
	}
	users, err := decodeUsers(data)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w: %v", path, ErrCorruptFile, err)
	}
	return users, fi, nil
}

// decodeUsers parses and validates the file's content. Its errors name the
// offending entry but never include a hash.
func decodeUsers(data []byte) (map[string]userRecord, error) {
	users := map[string]userRecord{}
	if len(bytes.TrimSpace(data)) == 0 {
		return users, nil // an empty (e.g. touched) file holds no users
	}
	var fd fileData
	if err := json.Unmarshal(data, &fd); err != nil {
		return nil, err
	}
	if fd.Version != fileVersion {
		return nil, fmt.Errorf("unsupported version %d (want %d)", fd.Version, fileVersion)
	}
	for i, r := range fd.Users {
		if r.Email != normalizeEmail(r.Email) {
			return nil, fmt.Errorf("user #%d: email %q is not trimmed and lower-case", i+1, r.Email)
		}
		if err := validateEmail(r.Email); err != nil {
			return nil, fmt.Errorf("user #%d: %v", i+1, err)
		}
		if _, dup := users[r.Email]; dup {
			return nil, fmt.Errorf("user #%d: duplicate email %s", i+1, r.Email)
		}
		if _, _, _, err := parsePHC(r.PasswordHash); err != nil {
			return nil, fmt.Errorf("user #%d (%s): password_hash: %v", i+1, r.Email, err)
		}
		if strings.TrimSpace(r.Name) == "" {
			r.Name = localPart(r.Email)
		}
		users[r.Email] = r
	}
	return users, nil
}

// writeUsers replaces the file atomically: a temporary file in the same
// directory, written, fsynced and renamed over the old one, then the
// directory fsynced so the rename itself survives a crash.
func writeUsers(path string, users map[string]userRecord) (err error) {
	fd := fileData{Version: fileVersion, Users: make([]userRecord, 0, len(users))}
	for _, r := range users {
		fd.Users = append(fd.Users, r)
	}
	slices.SortFunc(fd.Users, func(a, b userRecord) int { return strings.Compare(a.Email, b.Email) })
	data, err := json.MarshalIndent(fd, "", "  ")
	if err != nil {
		return fmt.Errorf("encode users file: %w", err)
	}
	data = append(data, '\n')

	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write users file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write users file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write users file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write users file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write users file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write users file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: some filesystems refuse fsync on directories
		d.Close()
	}
	return nil
}
