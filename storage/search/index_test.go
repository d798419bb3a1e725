package search

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ocrbox/ocrbox/core/domain"
)

const (
	alice = "0190a000-0000-7000-8000-00000000000a"
	bob   = "0190a000-0000-7000-8000-00000000000b"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func taskID(n int) string { return fmt.Sprintf("0190b000-0000-7000-8000-%012d", n) }

// fixture is a small index: alice's six tasks and bob's two, bob's named and
// worded so that any leak would show in alice's results.
func fixture(t testing.TB) *Index {
	t.Helper()
	ix, rebuild, err := Open(context.Background(), filepath.Join(t.TempDir(), "search.bleve"))
	if err != nil {
		t.Fatal(err)
	}
	if !rebuild {
		t.Fatal("a new index must ask for a rebuild")
	}
	t.Cleanup(func() { ix.Close() })
	done := t0.Add(time.Hour)
	docs := []Doc{
		{TaskID: taskID(1), UserID: alice, Filename: "invoice_2024-03.pdf", Status: domain.StatusCompleted, CreatedAt: t0, CompletedAt: &done, DurationMS: 300, Pages: 2, Text: "Total amount due: 120 EUR. Thank you for your business."},
		{TaskID: taskID(2), UserID: alice, Filename: "Receipt.png", Status: domain.StatusFailed, CreatedAt: t0.Add(24 * time.Hour), DurationMS: 50, Pages: 1},
		{TaskID: taskID(3), UserID: alice, Filename: "scan 001.tif", Status: domain.StatusPending, CreatedAt: t0.Add(48 * time.Hour), Pages: 3},
		{TaskID: taskID(4), UserID: alice, Filename: "Überweisung März.pdf", Status: domain.StatusCompleted, CreatedAt: t0.Add(72 * time.Hour), CompletedAt: &done, DurationMS: 900, Pages: 1, Text: "Überweisung an die Stadtwerke"},
		{TaskID: taskID(5), UserID: alice, Filename: "報告書.png", Status: domain.StatusCompleted, CreatedAt: t0.Add(96 * time.Hour), CompletedAt: &done, DurationMS: 10, Pages: 1, Text: "quarterly report"},
		{TaskID: taskID(6), UserID: alice, Filename: "'; DROP TABLE tasks;--.png", Status: domain.StatusCancelled, CreatedAt: t0.Add(120 * time.Hour), Pages: 1},
		{TaskID: taskID(7), UserID: bob, Filename: "bob-secret-contract.pdf", Status: domain.StatusCompleted, CreatedAt: t0, CompletedAt: &done, DurationMS: 5, Pages: 1, Text: "confidential merger invoice amount"},
		{TaskID: taskID(8), UserID: bob, Filename: "invoice_bob.pdf", Status: domain.StatusCompleted, CreatedAt: t0.Add(time.Hour), CompletedAt: &done, Pages: 1, Text: "zebra"},
	}
	i := 0
	if _, err := ix.Rebuild(context.Background(), func() (Doc, bool, error) {
		if i == len(docs) {
			return Doc{}, false, nil
		}
		i++
		return docs[i-1], true, nil
	}); err != nil {
		t.Fatal(err)
	}
	return ix
}

func find(t *testing.T, ix *Index, user string, q Query) ([]int, int) {
	t.Helper()
	ids, total, err := ix.Search(context.Background(), user, q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	var ns []int
	for _, id := range ids {
		var n int
		fmt.Sscanf(id[len(id)-12:], "%d", &n)
		ns = append(ns, n)
	}
	return ns, total
}

func TestSearchFiltersAndSorts(t *testing.T) {
	ix := fixture(t)
	tests := []struct {
		name  string
		q     Query
		want  []int
		total int
	}{
		{"all, newest first", Query{Desc: true}, []int{6, 5, 4, 3, 2, 1}, 6},
		{"oldest first, paged", Query{Offset: 1, Limit: 2}, []int{2, 3}, 6},
		{"status", Query{Status: domain.StatusCompleted}, []int{1, 4, 5}, 3},
		{"from", Query{From: t0.Add(72 * time.Hour)}, []int{4, 5, 6}, 3},
		{"to inclusive", Query{To: t0.Add(24 * time.Hour)}, []int{1, 2}, 2},
		{"range and status", Query{From: t0, To: t0.Add(80 * time.Hour), Status: domain.StatusCompleted}, []int{1, 4}, 2},
		{"by filename", Query{Sort: SortFilename}, []int{6, 1, 2, 3, 4, 5}, 6},
		{"by duration desc", Query{Sort: SortDuration, Desc: true}, []int{4, 1, 2, 5, 6, 3}, 6},
		{"by status", Query{Sort: SortStatus}, []int{6, 1, 4, 5, 2, 3}, 6},
		{"by pages desc", Query{Sort: SortPages, Desc: true}, []int{3, 1, 6, 5, 4, 2}, 6},
		{"filename word", Query{Q: "invoice"}, []int{1}, 1},
		{"filename prefix", Query{Q: "inv"}, []int{1}, 1},
		{"filename part after separator", Query{Q: "2024"}, []int{1}, 1},
		{"filename case", Query{Q: "RECEIPT"}, []int{2}, 1},
		{"filename unicode", Query{Q: "überw"}, []int{4}, 1},
		{"filename CJK", Query{Q: "報告"}, []int{5}, 1},
		{"text word", Query{Q: "amount"}, []int{1}, 1},
		{"text all words", Query{Q: "amount business"}, []int{1}, 1},
		{"text missing word", Query{Q: "amount zebra"}, nil, 0},
		{"text unicode", Query{Q: "stadtwerke"}, []int{4}, 1},
		{"text and status", Query{Q: "report", Status: domain.StatusFailed}, nil, 0},
		{"sql-looking filename", Query{Q: "DROP TABLE"}, []int{6}, 1},
		{"year 1 to year 9999", Query{From: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}, []int{1, 2, 3, 4, 5, 6}, 6},
		{"before 1970", Query{To: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, 0},
		{"after 2262", Query{From: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total := find(t, ix, alice, tt.q)
			if !slices.Equal(got, tt.want) || total != tt.total {
				t.Fatalf("got %v (total %d), want %v (total %d)", got, total, tt.want, tt.total)
			}
		})
	}
}

// Every hostile search string stays inside alice's own tasks: bob's task
// numbers (7, 8) never appear, and nothing widens to "everything".
func TestSearchInputNeverWidens(t *testing.T) {
	ix := fixture(t)
	hostile := []string{
		"+user_id:*", "user_id:" + bob, "*", "?", `"`, `\`, `\"`, "*:*", "+*", "-user_id:x",
		"task_id:" + taskID(7), "contract", "confidential", "zebra", "bob", "secret",
		"' OR '1'='1", "1; DROP TABLE tasks;--", "%", "_", "/.*/", "~", "^", "{}", "[* TO *]",
		"invoice OR confidential", "NOT invoice", "invoice~2", "inv*", strings.Repeat("a", 1024),
		strings.Repeat("invoice ", 100), "\x00", "\u202e", "🙂",
	}
	for _, q := range hostile {
		got, total, err := ix.Search(context.Background(), alice, Query{Q: q})
		if err != nil {
			t.Fatalf("q %q: %v", q, err)
		}
		if total > 1 {
			t.Fatalf("q %q matched %d tasks: the query widened", q, total)
		}
		for _, id := range got {
			if id == taskID(7) || id == taskID(8) {
				t.Fatalf("q %q returned bob's task %s", q, id)
			}
		}
	}
	if _, _, err := ix.Search(context.Background(), alice, Query{Q: strings.Repeat("a", MaxQueryBytes+1)}); err == nil {
		t.Fatal("an over-long query must be refused")
	}
	if _, _, err := ix.Search(context.Background(), "", Query{}); err == nil {
		t.Fatal("a search without a user id must be refused")
	}
	// bob sees his own, and only his own.
	got, total := find(t, ix, bob, Query{Q: "invoice"})
	if total != 2 || !slices.Equal(got, []int{7, 8}) {
		t.Fatalf("bob's invoice search: %v (%d)", got, total)
	}
}

func TestValidate(t *testing.T) {
	for _, q := range []Query{
		{Sort: "size"}, {Status: "done"}, {Offset: -1}, {Limit: -1},
		{From: t0, To: t0.Add(-time.Second)}, {Q: "\xff"},
	} {
		if err := q.Validate(); err == nil {
			t.Errorf("%+v: want an error", q)
		}
	}
}

func TestScanPagesThroughEverything(t *testing.T) {
	ix := fixture(t)
	for _, chunk := range []int{1, 2, 4, 100} {
		var got []string
		err := ix.Scan(context.Background(), alice, Query{Desc: true, Offset: 3, Limit: 1}, chunk, func(ids []string) error {
			if len(ids) > chunk {
				t.Fatalf("chunk of %d ids, want ≤ %d", len(ids), chunk)
			}
			got = append(got, ids...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{taskID(6), taskID(5), taskID(4), taskID(3), taskID(2), taskID(1)}
		if !slices.Equal(got, want) {
			t.Fatalf("chunk %d: %v", chunk, got)
		}
	}
}

func TestUpdateDeleteAndDeleteUser(t *testing.T) {
	ix := fixture(t)
	ctx := context.Background()
	d := Doc{TaskID: taskID(3), UserID: alice, Filename: "scan 001.tif", Status: domain.StatusCompleted, CreatedAt: t0.Add(48 * time.Hour), Text: "freshly recognised"}
	if err := ix.Index(ctx, d); err != nil {
		t.Fatal(err)
	}
	if got, _ := find(t, ix, alice, Query{Q: "freshly"}); !slices.Equal(got, []int{3}) {
		t.Fatalf("re-indexed text not found: %v", got)
	}
	if got, _ := find(t, ix, alice, Query{Status: domain.StatusPending}); len(got) != 0 {
		t.Fatalf("old status still indexed: %v", got)
	}
	if err := ix.Delete(ctx, taskID(3)); err != nil {
		t.Fatal(err)
	}
	if _, total := find(t, ix, alice, Query{}); total != 5 {
		t.Fatalf("after delete: %d tasks", total)
	}
	if err := ix.Index(ctx, Doc{TaskID: taskID(9)}); err == nil {
		t.Fatal("a document without a user id must be refused")
	}
	n, err := ix.DeleteUser(ctx, alice)
	if err != nil || n != 5 {
		t.Fatalf("DeleteUser: %d, %v", n, err)
	}
	if _, total := find(t, ix, bob, Query{}); total != 2 {
		t.Fatalf("bob lost tasks: %d", total)
	}
	if c, _ := ix.DocCount(ctx); c != 2 {
		t.Fatalf("doc count %d", c)
	}
}

func TestReopenKeepsAndRecovers(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "search.bleve")
	doc := Doc{TaskID: taskID(1), UserID: alice, Filename: "kept.png", Status: domain.StatusPending, CreatedAt: t0}
	build := func() {
		ix, _, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		once := false
		if _, err := ix.Rebuild(ctx, func() (Doc, bool, error) {
			if once {
				return Doc{}, false, nil
			}
			once = true
			return doc, true, nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
	reopen := func(wantRebuild bool) *Index {
		t.Helper()
		ix, rebuild, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if rebuild != wantRebuild {
			t.Fatalf("rebuildNeeded = %v, want %v", rebuild, wantRebuild)
		}
		_, total, err := ix.Search(ctx, alice, Query{})
		if err != nil {
			t.Fatal(err)
		}
		if wantRebuild != (total == 0) || ix.Built(ctx) == wantRebuild {
			t.Fatalf("total %d, built %v after reopen (rebuild %v)", total, ix.Built(ctx), wantRebuild)
		}
		return ix
	}

	t.Run("clean close keeps the index", func(t *testing.T) {
		build()
		reopen(false).Close()
	})
	t.Run("unclean shutdown", func(t *testing.T) {
		build()
		ix := reopen(false)
		ix.idx.Close() // as if the process died: no clean-shutdown marker
		ix.idx = nil
		reopen(true).Close()
	})
	t.Run("old mapping version", func(t *testing.T) {
		build()
		ix := reopen(false)
		if err := ix.idx.SetInternal(keyMappingVersion, []byte(fmt.Sprint(MappingVersion-1))); err != nil {
			t.Fatal(err)
		}
		ix.Close()
		reopen(true).Close()
	})
	t.Run("newer mapping version (downgrade)", func(t *testing.T) {
		build()
		ix := reopen(false)
		ix.idx.SetInternal(keyMappingVersion, []byte(fmt.Sprint(MappingVersion+1)))
		ix.Close()
		reopen(true).Close()
	})
	t.Run("interrupted rebuild", func(t *testing.T) {
		build()
		ix := reopen(false)
		_, err := ix.Rebuild(ctx, func() (Doc, bool, error) { return Doc{}, false, fmt.Errorf("disk on fire") })
		if err == nil {
			t.Fatal("want the rebuild error")
		}
		if ix.Built(ctx) {
			t.Fatal("a failed rebuild must leave the index unbuilt")
		}
		ix.Close()
		reopen(true).Close()
	})
	t.Run("segments in an older zap format", func(t *testing.T) {
		// This binary links only zap v17 (third_party/zapx stands in for
		// v11–v16): an index whose snapshot says v16 is rebuilt, not read.
		build()
		setSegmentVersion(t, filepath.Join(dir, "store", "root.bolt"), 16)
		reopen(true).Close()
	})
	t.Run("corrupt directory", func(t *testing.T) {
		build()
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if err := os.WriteFile(filepath.Join(dir, e.Name()), []byte("garbage"), 0o600); err != nil && !e.IsDir() {
				t.Fatal(err)
			}
		}
		reopen(true).Close()
	})
	t.Run("missing directory", func(t *testing.T) {
		build()
		os.RemoveAll(dir)
		reopen(true).Close()
	})
	t.Run("not a directory", func(t *testing.T) {
		os.RemoveAll(dir)
		os.WriteFile(dir, []byte("x"), 0o600)
		reopen(true).Close()
	})
}

func TestClosedIndexAnswersErrors(t *testing.T) {
	ix := fixture(t)
	ctx := context.Background()
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ix.Search(ctx, alice, Query{}); err == nil {
		t.Fatal("search on a closed index must fail")
	}
	if err := ix.Index(ctx, Doc{TaskID: taskID(1), UserID: alice}); err == nil {
		t.Fatal("index on a closed index must fail")
	}
	if ix.Built(ctx) {
		t.Fatal("a closed index is not built")
	}
}

// setSegmentVersion rewrites the zap version every snapshot in a scorch
// root.bolt records, as an index written by another bleve would say.
func setSegmentVersion(t *testing.T, root string, version uint32) {
	t.Helper()
	db, err := bolt.Open(root, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.Update(func(tx *bolt.Tx) error {
		snapshots := tx.Bucket([]byte{'s'})
		if snapshots == nil {
			return errors.New("no snapshots bucket in root.bolt")
		}
		return snapshots.ForEachBucket(func(k []byte) error {
			meta := snapshots.Bucket(k).Bucket([]byte{'m'})
			if meta == nil {
				return nil
			}
			n++
			return meta.Put([]byte("version"), binary.BigEndian.AppendUint32(nil, version))
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no snapshot metadata in root.bolt")
	}
}
