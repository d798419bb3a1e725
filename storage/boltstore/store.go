package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultLockTimeout is how long Open waits for the database file lock when
// Options.Timeout is zero.
const DefaultLockTimeout = 2 * time.Second

// ErrLocked is returned (wrapped) by Open when another process holds the
// database file lock.
var ErrLocked = errors.New("database is locked by another ocrbox process")

// ErrSchemaTooNew is returned (wrapped) by Open and Migrate when the database
// was written by a newer ocrbox than this one.
var ErrSchemaTooNew = errors.New("database schema is newer than this ocrbox supports: upgrade ocrbox")

// ErrNotMigrated is returned (wrapped) by data methods when the buckets of
// the current schema are missing: run Migrate (ocrbox migrate) first.
var ErrNotMigrated = errors.New("database schema is not up to date: run ocrbox migrate")

// Options tunes Open.
type Options struct {
	// Timeout is how long to wait for the file lock held by another
	// process; zero means DefaultLockTimeout.
	Timeout time.Duration
}

// Store is the bbolt-backed store. It is safe for concurrent use; bbolt
// serialises writers and lets readers run in parallel.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens (creating if needed) the database at path. It does not migrate:
// a new file has schema version 0 until Migrate runs. It refuses a database
// whose schema is newer than LatestSchema with an error wrapping
// ErrSchemaTooNew, and a database locked by another process with one wrapping
// ErrLocked.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultLockTimeout
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open database %s: %w (waited %s; stop the other process or use another data_dir): %w",
			path, ErrLocked, opts.Timeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	v, err := s.SchemaVersion(ctx)
	if err == nil && v > LatestSchema() {
		err = fmt.Errorf("schema version %d, this ocrbox knows up to %d: %w", v, LatestSchema(), ErrSchemaTooNew)
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return s, nil
}

// Close releases the database and its file lock.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close database %s: %w", s.path, err)
	}
	return nil
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// txn is a transaction with the current schema's buckets at hand.
type txn struct {
	tx                *bolt.Tx
	users             *bolt.Bucket
	usersByEmail      *bolt.Bucket
	tasks             *bolt.Bucket
	taskFiles         *bolt.Bucket
	tasksByUser       *bolt.Bucket
	tasksByStatus     *bolt.Bucket
	sessions          *bolt.Bucket
	sessionsByUser    *bolt.Bucket
	sessionsByRefresh *bolt.Bucket
	audit             *bolt.Bucket
	userStats         *bolt.Bucket
	auditByUser       *bolt.Bucket
	tasksByUserStatus *bolt.Bucket
	identities        *bolt.Bucket
	identitiesByUser  *bolt.Bucket
}

func newTxn(tx *bolt.Tx) (*txn, error) {
	x := &txn{tx: tx}
	for _, b := range []struct {
		name string
		dst  **bolt.Bucket
	}{
		{bucketUsers, &x.users},
		{bucketUsersByEmail, &x.usersByEmail},
		{bucketTasks, &x.tasks},
		{bucketTaskFiles, &x.taskFiles},
		{bucketTasksByUser, &x.tasksByUser},
		{bucketTasksByStatus, &x.tasksByStatus},
		{bucketSessions, &x.sessions},
		{bucketSessionsByUser, &x.sessionsByUser},
		{bucketSessionsByRefresh, &x.sessionsByRefresh},
		{bucketAudit, &x.audit},
		{bucketUserStats, &x.userStats},
		{bucketAuditByUser, &x.auditByUser},
		{bucketTasksByUserStatus, &x.tasksByUserStatus},
		{bucketIdentities, &x.identities},
		{bucketIdentitiesByUser, &x.identitiesByUser},
	} {
		*b.dst = tx.Bucket([]byte(b.name))
		if *b.dst == nil {
			return nil, fmt.Errorf("bucket %s missing: %w", b.name, ErrNotMigrated)
		}
	}
	return x, nil
}

// view runs fn in a read-only transaction unless ctx is already done.
func (s *Store) view(ctx context.Context, fn func(x *txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error {
		x, err := newTxn(tx)
		if err != nil {
			return err
		}
		return fn(x)
	})
}

// update runs fn in a read-write transaction unless ctx is already done; an
// error from fn rolls everything back.
func (s *Store) update(ctx context.Context, fn func(x *txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		x, err := newTxn(tx)
		if err != nil {
			return err
		}
		return fn(x)
	})
}
