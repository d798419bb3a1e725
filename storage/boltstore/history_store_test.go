package boltstore

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ocrbox/ocrbox/core/domain"
)

func TestPerDayCounters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	u := newUser(t, s, "days@example.org")
	day := 24 * time.Hour
	a := taskAt(u.ID, 0, "a.pdf")
	b := taskAt(u.ID, time.Hour, "b.pdf")
	c := taskAt(u.ID, 2*day, "c.pdf")
	mustCreate(t, s, a, b, c)
	st, err := s.UserStats(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{DayKey(base): 2, DayKey(base.Add(2 * day)): 1}
	if !maps.Equal(st.PerDay, want) {
		t.Fatalf("PerDay = %v, want %v", st.PerDay, want)
	}
	// An update does not move a task between days; a delete removes it.
	if _, err := s.UpdateTask(ctx, u.ID, a.ID, func(t *domain.Task) error { t.Status = domain.StatusFailed; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteTask(ctx, u.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	st, _ = s.UserStats(ctx, u.ID)
	want[DayKey(base)] = 1
	if !maps.Equal(st.PerDay, want) {
		t.Fatalf("PerDay after update and delete = %v, want %v", st.PerDay, want)
	}
	got := st.LastDays(base.Add(2*day+5*time.Hour), 5)
	wantDays := []DayCount{{Date: "2026-02-27", Count: 0}, {Date: "2026-02-28", Count: 0}, {Date: "2026-03-01", Count: 1}, {Date: "2026-03-02", Count: 0}, {Date: "2026-03-03", Count: 1}}
	if !slices.Equal(got, wantDays) {
		t.Fatalf("LastDays = %v, want %v", got, wantDays)
	}
	checkConsistency(t, s)
}

func TestPerDayKeepsRecentDaysOnly(t *testing.T) {
	t.Parallel()
	st := Stats{}
	first := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range PerDayKept + 10 {
		st.add(Stats{PerDay: map[string]int{DayKey(first.AddDate(0, 0, i)): 1}}, 1)
		st.tidyPerDay()
	}
	if len(st.PerDay) != PerDayKept {
		t.Fatalf("%d days kept, want %d", len(st.PerDay), PerDayKept)
	}
	if st.PerDay[DayKey(first)] != 0 || st.PerDay[DayKey(first.AddDate(0, 0, PerDayKept+9))] != 1 {
		t.Fatalf("kept the wrong days")
	}
	// Deleting a task of a day already dropped cannot leave a negative count.
	st.add(Stats{PerDay: map[string]int{DayKey(first): 1}}, -1)
	st.tidyPerDay()
	if _, ok := st.PerDay[DayKey(first)]; ok {
		t.Fatal("negative day kept")
	}
}

// TestMigration3 writes user_stats the way versions 1–2 did (no per_day)
// and checks that migration 3 adds the per-day counts from tasks_by_user,
// leaving the other counters alone.
func TestMigration3(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openUnmigrated(t)
	if _, _, err := s.migrate(ctx, Migrations()[:2]); err != nil {
		t.Fatal(err)
	}
	u1, u2, orphan := NewID(), NewID(), NewID()
	day := 24 * time.Hour
	keys := []struct {
		user string
		at   time.Time
	}{{u1, base}, {u1, base.Add(time.Hour)}, {u1, base.Add(3 * day)}, {u2, base.Add(-day)}, {orphan, base}}
	old := `{"tasks":3,"by_status":{"pending":3},"pages":7,"bytes":99,"total_duration_ms":0,"finished":0}`
	err := s.db.Update(func(tx *bolt.Tx) error {
		byUser, stats := tx.Bucket([]byte(bucketTasksByUser)), tx.Bucket([]byte(bucketUserStats))
		for _, k := range keys {
			if err := byUser.Put(userTaskKey(k.user, k.at, NewID()), nil); err != nil {
				return err
			}
		}
		if err := stats.Put([]byte(u1), []byte(old)); err != nil {
			return err
		}
		return stats.Put([]byte(u2), []byte(old))
	})
	if err != nil {
		t.Fatal(err)
	}
	if from, to, err := s.migrate(ctx, Migrations()[:3]); err != nil || from != 2 || to != 3 {
		t.Fatalf("migrate = %d, %d, %v; want 2, 3, nil", from, to, err)
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		stats := tx.Bucket([]byte(bucketUserStats))
		for user, want := range map[string]map[string]int{
			u1: {DayKey(base): 2, DayKey(base.Add(3 * day)): 1},
			u2: {DayKey(base.Add(-day)): 1},
		} {
			var st Stats
			if err := json.Unmarshal(stats.Get([]byte(user)), &st); err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(st.PerDay, want) || st.Tasks != 3 || st.Pages != 7 || st.Bytes != 99 || st.ByStatus[domain.StatusPending] != 3 {
				t.Errorf("user_stats %s after migration 3 = %+v", user, st)
			}
		}
		if stats.Get([]byte(orphan)) != nil {
			t.Error("migration 3 created a record for a user without counters")
		}
		return nil
	})
}

// TestMigration4 stores tasks the way versions 1–3 did and checks that
// migration 4 indexes every one under its user and status.
func TestMigration4(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openUnmigrated(t)
	if _, _, err := s.migrate(ctx, Migrations()[:3]); err != nil {
		t.Fatal(err)
	}
	u := NewID()
	var tasks []*domain.Task
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketTasks))
		for i, st := range []domain.TaskStatus{domain.StatusCompleted, domain.StatusPending, domain.StatusCompleted} {
			task := taskAt(u, time.Duration(i)*time.Minute, "x.pdf")
			task.Status = st
			tasks = append(tasks, task)
			if err := putJSON(b, []byte(task.ID), recordFromTask(task)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if from, to, err := s.migrate(ctx, Migrations()[:4]); err != nil || from != 3 || to != 4 {
		t.Fatalf("migrate = %d, %d, %v; want 3, 4, nil", from, to, err)
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		idx := tx.Bucket([]byte(bucketTasksByUserStatus))
		if idx == nil {
			t.Fatal("tasks_by_user_status missing")
		}
		if n := idx.Stats().KeyN; n != 3 {
			t.Errorf("%d keys, want 3", n)
		}
		for _, task := range tasks {
			k, _ := userStatusKey(u, task.Status, task.CreatedAt, task.ID)
			if !hasKey(idx, k) {
				t.Errorf("task %s not indexed", task.ID)
			}
		}
		return nil
	})
}

func TestGetTasksIsolation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	alice, bob := newUser(t, s, "a@example.org"), newUser(t, s, "b@example.org")
	a1, a2, b1 := taskAt(alice.ID, 0, "a1"), taskAt(alice.ID, time.Second, "a2"), taskAt(bob.ID, 0, "b1")
	mustCreate(t, s, a1, a2, b1)
	got, err := s.GetTasks(ctx, alice.ID, []string{a2.ID, b1.ID, "not-an-id", NewID(), a1.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != a2.ID || got[1].ID != a1.ID {
		t.Fatalf("GetTasks = %v, want a2, a1 only", got)
	}
	if _, err := s.GetTasks(ctx, "", []string{a1.ID}); err == nil {
		t.Fatal("GetTasks without a user id must fail")
	}
}

func TestScanTasksPagesThroughAll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	var want []string
	for i := range 3 {
		u := newUser(t, s, NewID()+"@example.org")
		for j := range 4 {
			task := taskAt(u.ID, time.Duration(i*10+j)*time.Second, "f")
			mustCreate(t, s, task)
			want = append(want, task.ID)
		}
	}
	slices.Sort(want)
	var got []string
	after := ""
	for {
		page, err := s.ScanTasks(ctx, after, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range page {
			got = append(got, task.ID)
		}
		if len(page) < 5 {
			break
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ScanTasks visited %d tasks, want %d in id order", len(got), len(want))
	}
}

func TestCreateTasksInOneTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a, b := newUser(t, s, "a@example.org"), newUser(t, s, "b@example.org")
	batch := []*domain.Task{taskAt(a.ID, 0, "1"), taskAt(b.ID, time.Second, "2"), taskAt(a.ID, 2*time.Second, "3")}
	if err := s.CreateTasks(ctx, batch); err != nil {
		t.Fatal(err)
	}
	checkConsistency(t, s)
	// One bad task (unknown user) and nothing of the batch is stored.
	bad := []*domain.Task{taskAt(a.ID, 0, "4"), taskAt(NewID(), 0, "5")}
	if err := s.CreateTasks(ctx, bad); err == nil {
		t.Fatal("want an error for an unknown user")
	}
	if n, _ := s.CountTasks(ctx, a.ID); n != 2 {
		t.Fatalf("a has %d tasks, want 2", n)
	}
	checkConsistency(t, s)
}

func TestEachTask(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a, b := newUser(t, s, "a@example.org"), newUser(t, s, "b@example.org")
	var mine []*domain.Task
	for i := range 7 {
		task := taskAt(a.ID, time.Duration(i)*time.Hour, fmt.Sprint(i))
		if i%2 == 1 {
			task.Status = domain.StatusCompleted
		}
		mine = append(mine, task)
	}
	mustCreate(t, s, mine...)
	mustCreate(t, s, taskAt(b.ID, 3*time.Hour, "b"))
	collect := func(status domain.TaskStatus, from, to time.Time, chunk int) []string {
		var got []string
		err := s.EachTask(ctx, a.ID, status, from, to, chunk, func(ts []*domain.Task) error {
			if len(ts) > chunk {
				t.Fatalf("chunk of %d", len(ts))
			}
			for _, x := range ts {
				got = append(got, x.Filename)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	var zero time.Time
	for _, chunk := range []int{1, 2, 3, 100} {
		for _, tt := range []struct {
			status   domain.TaskStatus
			from, to time.Time
			want     []string
		}{
			{"", zero, zero, []string{"6", "5", "4", "3", "2", "1", "0"}},
			{domain.StatusCompleted, zero, zero, []string{"5", "3", "1"}},
			{"", base.Add(2 * time.Hour), base.Add(4 * time.Hour), []string{"4", "3", "2"}},
			{domain.StatusPending, base.Add(time.Hour), zero, []string{"6", "4", "2"}},
			{"", zero, base.Add(time.Hour - time.Nanosecond), []string{"0"}},
			{"", base.Add(5 * time.Hour), base.Add(time.Hour), nil},
			{domain.StatusFailed, zero, zero, nil},
		} {
			if got := collect(tt.status, tt.from, tt.to, chunk); !slices.Equal(got, tt.want) {
				t.Errorf("chunk %d status %q [%v, %v]: %v, want %v", chunk, tt.status, tt.from, tt.to, got, tt.want)
			}
		}
	}
	// Deleting behind the walk between chunks neither repeats nor skips.
	var got []string
	err := s.EachTask(ctx, a.ID, "", time.Time{}, time.Time{}, 2, func(ts []*domain.Task) error {
		for _, x := range ts {
			got = append(got, x.Filename)
			if _, err := s.DeleteTask(ctx, a.ID, x.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || !slices.Equal(got, []string{"6", "5", "4", "3", "2", "1", "0"}) {
		t.Fatalf("walk while deleting: %v, %v", got, err)
	}
}

// TestListTasksDateRange compares every combination of range, status,
// order and page with a filter over all tasks.
func TestListTasksDateRange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	u := newUser(t, s, "r@example.org")
	var all []*domain.Task
	for i := range 12 {
		task := taskAt(u.ID, time.Duration(i/2)*time.Hour, fmt.Sprint(i)) // pairs share created_at
		task.Status = statuses[i%3]
		all = append(all, task)
	}
	mustCreate(t, s, all...)
	mustCreate(t, s, taskAt(newUser(t, s, "o@example.org").ID, 2*time.Hour, "other"))
	var zero time.Time
	bounds := []time.Time{zero, base, base.Add(2 * time.Hour), base.Add(2*time.Hour + time.Minute), base.Add(5 * time.Hour), base.Add(9 * time.Hour)}
	for _, from := range bounds {
		for _, to := range bounds {
			if !from.IsZero() && !to.IsZero() && from.After(to) {
				continue
			}
			for _, st := range []domain.TaskStatus{"", domain.StatusPending, domain.StatusCompleted} {
				var want []string
				for _, task := range all {
					if (st == "" || task.Status == st) && inRange(task.CreatedAt, from, to) {
						want = append(want, task.ID)
					}
				}
				slices.Sort(want) // ids are time-ordered: created_at order, ties by id
				for _, desc := range []bool{false, true} {
					w := slices.Clone(want)
					if desc {
						slices.Reverse(w)
					}
					for _, pg := range []struct{ off, lim int }{{0, 0}, {1, 2}, {3, 100}} {
						items, total, err := s.ListTasks(ctx, u.ID, ListQuery{Status: st, Desc: desc, Offset: pg.off, Limit: pg.lim, From: from, To: to})
						if err != nil {
							t.Fatal(err)
						}
						var got []string
						for _, it := range items {
							got = append(got, it.ID)
						}
						lo := min(pg.off, len(w))
						hi := len(w)
						if pg.lim > 0 {
							hi = min(lo+pg.lim, len(w))
						}
						if total != len(w) || !slices.Equal(got, w[lo:hi]) {
							t.Fatalf("from %v to %v status %q desc %v page %v: got %d items (total %d), want %d (total %d)",
								from, to, st, desc, pg, len(got), total, hi-lo, len(w))
						}
						// The in-memory orders apply the same range.
						_, total, err = s.ListTasks(ctx, u.ID, ListQuery{Status: st, Sort: SortFilename, From: from, To: to})
						if err != nil || total != len(w) {
							t.Fatalf("sorted by filename: total %d, want %d (%v)", total, len(w), err)
						}
					}
				}
			}
		}
	}
	_, _, err := s.ListTasks(ctx, u.ID, ListQuery{From: base.Add(time.Hour), To: base})
	wantErr(t, err, domain.ErrInvalid)
}
