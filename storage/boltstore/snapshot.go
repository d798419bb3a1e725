package boltstore

import (
	"context"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"
)

// Snapshot is one consistent moment of the database, for backups: the copy
// it writes and the tasks it lists are the same state, however many
// writers run meanwhile (bbolt's MVCC read transaction).
type Snapshot struct {
	tx *bolt.Tx
}

// Snapshot runs fn with a read-only view of the database. Keep fn short
// relative to write traffic: while it runs, pages freed by writers cannot
// be reused, so the file may grow.
func (s *Store) Snapshot(ctx context.Context, fn func(*Snapshot) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return s.db.View(func(tx *bolt.Tx) error { return fn(&Snapshot{tx: tx}) })
}

// WriteTo writes a complete, openable copy of the database file.
func (sn *Snapshot) WriteTo(w io.Writer) (int64, error) { return sn.tx.WriteTo(w) }

// Size is the number of bytes WriteTo writes.
func (sn *Snapshot) Size() int64 { return sn.tx.Size() }

// SchemaVersion is the copy's schema version.
func (sn *Snapshot) SchemaVersion() (int, error) { return readSchemaVersion(sn.tx) }

// EachTask calls fn with the owner and id of every task in the copy, user
// by user (from tasks_by_user: no record is decoded).
func (sn *Snapshot) EachTask(fn func(userID, taskID string) error) error {
	b := sn.tx.Bucket([]byte(bucketTasksByUser))
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, _ []byte) error {
		if len(k) != idLen+timeLen+idLen {
			return fmt.Errorf("snapshot: malformed tasks_by_user key of %d bytes", len(k))
		}
		return fn(string(k[:idLen]), string(k[idLen+timeLen:]))
	})
}
