package boltstore

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ocrbox/ocrbox/core/domain"
)

// migratePerDayStats is migration 3: user_stats records gain per_day, the
// number of tasks created on each UTC day (the last PerDayKept days of each
// user), counted from the created_at part of the tasks_by_user keys. Only
// the per_day member of each record is written; the rest stays as stored.
func migratePerDayStats(tx *bolt.Tx) error {
	byUser, stats := tx.Bucket([]byte(bucketTasksByUser)), tx.Bucket([]byte(bucketUserStats))
	if byUser == nil || stats == nil {
		return fmt.Errorf("buckets %s and %s must exist", bucketTasksByUser, bucketUserStats)
	}
	counts := map[string]map[string]int{} // user id → day → tasks
	err := byUser.ForEach(func(k, _ []byte) error {
		if len(k) != idLen+timeLen+idLen {
			return fmt.Errorf("tasks_by_user key %x: bad length", k)
		}
		user := string(k[:idLen])
		if counts[user] == nil {
			counts[user] = map[string]int{}
		}
		counts[user][DayKey(keyTime(k[idLen:idLen+timeLen]))]++
		return nil
	})
	if err != nil {
		return err
	}
	for user, days := range counts {
		raw := stats.Get([]byte(user))
		if raw == nil {
			continue // counters are written with every task; none means none to fix
		}
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fmt.Errorf("decode user_stats %s: %w", user, err)
		}
		st := Stats{PerDay: days}
		st.tidyPerDay()
		enc, err := json.Marshal(st.PerDay)
		if err != nil {
			return err
		}
		rec["per_day"] = enc
		if err := putJSON(stats, []byte(user), rec); err != nil {
			return err
		}
	}
	return nil
}

// migrateTasksByUserStatus is migration 4: the tasks_by_user_status index
// (user id | status code | created_at | task id → nil), filled from the
// task records, so a user's tasks in one status are listed newest first
// without reading the others.
func migrateTasksByUserStatus(tx *bolt.Tx) error {
	idx, err := tx.CreateBucketIfNotExists([]byte(bucketTasksByUserStatus))
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketTasksByUserStatus, err)
	}
	tasks := tx.Bucket([]byte(bucketTasks))
	if tasks == nil {
		return fmt.Errorf("bucket %s missing", bucketTasks)
	}
	return tasks.ForEach(func(k, v []byte) error {
		var r struct {
			UserID    string            `json:"user_id"`
			Status    domain.TaskStatus `json:"status"`
			CreatedAt time.Time         `json:"created_at"`
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode task %s: %w", k, err)
		}
		key, err := userStatusKey(r.UserID, r.Status, r.CreatedAt, string(k))
		if err != nil {
			return fmt.Errorf("task %s: %w", k, err)
		}
		return idx.Put(key, nil)
	})
}
