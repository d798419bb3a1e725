package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Migration is one step of the schema. The list returned by Migrations is
// append-only: never edit or reorder a released migration, add a new one.
type Migration struct {
	// Version is the schema version after Up; versions are 1, 2, 3, …
	Version int
	// Name says what the step does, for logs and `ocrbox migrate`.
	Name string
	// Up applies the step inside the transaction that also records Version.
	Up func(tx *bolt.Tx) error
}

// Migrations returns the schema steps in order. Each one runs in its own
// transaction and has its own test.
func Migrations() []Migration {
	return []Migration{
		{Version: 1, Name: "create buckets", Up: migrateCreateBuckets},
		{Version: 2, Name: "index audit events by user", Up: migrateAuditByUser},
		{Version: 3, Name: "count tasks per day in user_stats", Up: migratePerDayStats},
		{Version: 4, Name: "index tasks by user and status", Up: migrateTasksByUserStatus},
		{Version: 5, Name: "bind users to provider identities", Up: migrateIdentities},
	}
}

// LatestSchema is the schema version this build writes and understands.
func LatestSchema() int {
	m := Migrations()
	return m[len(m)-1].Version
}

// migrateCreateBuckets is migration 1: the initial bucket tree.
func migrateCreateBuckets(tx *bolt.Tx) error {
	for _, name := range []string{
		bucketMeta, bucketUsers, bucketUsersByEmail, bucketTasks, bucketTaskFiles,
		bucketTasksByUser, bucketTasksByStatus, bucketSessions, bucketSessionsByUser,
		bucketSessionsByRefresh, bucketAudit, bucketUserStats,
	} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// migrateAuditByUser is migration 2: the audit_by_user index
// (user id | time | seq → nil), filled from the existing log, so a user's
// trail is read from their own key range instead of a scan of everyone's.
func migrateAuditByUser(tx *bolt.Tx) error {
	idx, err := tx.CreateBucketIfNotExists([]byte(bucketAuditByUser))
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketAuditByUser, err)
	}
	audit := tx.Bucket([]byte(bucketAudit))
	if audit == nil {
		return fmt.Errorf("bucket %s missing", bucketAudit)
	}
	return audit.ForEach(func(k, v []byte) error {
		var ev struct {
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(v, &ev); err != nil {
			return fmt.Errorf("decode audit event %x: %w", k, err)
		}
		if !validID(ev.UserID) { // failed sign-ins have no user
			return nil
		}
		return idx.Put(concat([]byte(ev.UserID), k), nil)
	})
}

// migrateIdentities is migration 5: the identities and identities_by_user
// buckets. They start empty: an account made before has no identity yet and
// is bound to the first one its own provider signs it in with (SignInUser).
func migrateIdentities(tx *bolt.Tx) error {
	for _, name := range []string{bucketIdentities, bucketIdentitiesByUser} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// SchemaVersion returns the version of the last migration applied, 0 for a
// new database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	var v int
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		v, err = readSchemaVersion(tx)
		return err
	})
	return v, err
}

func readSchemaVersion(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket([]byte(bucketMeta))
	if meta == nil {
		return 0, nil
	}
	raw := meta.Get([]byte(keySchemaVersion))
	if raw == nil {
		return 0, nil
	}
	if len(raw) != 8 {
		return 0, fmt.Errorf("read schema version: bad length %d", len(raw))
	}
	return int(binary.BigEndian.Uint64(raw)), nil
}

func writeSchemaVersion(tx *bolt.Tx, v int) error {
	meta, err := tx.CreateBucketIfNotExists([]byte(bucketMeta))
	if err != nil {
		return fmt.Errorf("write schema version: %w", err)
	}
	raw := make([]byte, 8)
	binary.BigEndian.PutUint64(raw, uint64(v))
	return meta.Put([]byte(keySchemaVersion), raw)
}

// Migrate applies the pending migrations, each in its own transaction, and
// returns the schema versions before and after. On error, to is the last
// version that was applied successfully. Back up the file first (ocrbox
// migrate does).
func (s *Store) Migrate(ctx context.Context) (from, to int, err error) {
	return s.migrate(ctx, Migrations())
}

func (s *Store) migrate(ctx context.Context, steps []Migration) (from, to int, err error) {
	from, err = s.SchemaVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("migrate: %w", err)
	}
	if latest := steps[len(steps)-1].Version; from > latest {
		return from, from, fmt.Errorf("migrate: schema version %d, this ocrbox knows up to %d: %w", from, latest, ErrSchemaTooNew)
	}
	to = from
	for _, m := range steps {
		if m.Version <= to {
			continue
		}
		if err := ctx.Err(); err != nil {
			return from, to, fmt.Errorf("migrate: %w", err)
		}
		err := s.db.Update(func(tx *bolt.Tx) error {
			cur, err := readSchemaVersion(tx)
			if err != nil {
				return err
			}
			if cur >= m.Version { // another Migrate got here first
				return nil
			}
			if cur != m.Version-1 {
				return fmt.Errorf("schema version %d cannot step to %d", cur, m.Version)
			}
			if err := m.Up(tx); err != nil {
				return err
			}
			return writeSchemaVersion(tx, m.Version)
		})
		if err != nil {
			return from, to, fmt.Errorf("migrate to version %d (%s): %w", m.Version, m.Name, err)
		}
		to = m.Version
	}
	return from, to, nil
}

// MigrateUpTo applies the migrations up to version only: for tests and
// tools that need a database as an older ocrbox left it (core/app's test
// that `migrate` saves a backup first). The server never calls it; it stays
// in the store because a test kit outside the package cannot stop the
// migration list part way.
func (s *Store) MigrateUpTo(ctx context.Context, version int) (from, to int, err error) {
	var steps []Migration
	for _, m := range Migrations() {
		if m.Version <= version {
			steps = append(steps, m)
		}
	}
	if len(steps) == 0 {
		return 0, 0, fmt.Errorf("migrate: no migration up to version %d", version)
	}
	return s.migrate(ctx, steps)
}
