package history_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/history"
	"github.com/ocrbox/ocrbox/core/outputs"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/storage/filestore/filestoretest"
	"github.com/ocrbox/ocrbox/storage/search"
)

var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// harness is a real store, file tree and index with a running indexer.
type harness struct {
	t       *testing.T
	store   *boltstore.Store
	files   *filestore.Store
	index   *search.Index
	indexer *history.Indexer
	svc     *history.Service
	stop    func()
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	store := boltstoretest.New(t)
	files := filestoretest.Open(t, filepath.Join(dir, "files"))
	h := &harness{t: t, store: store, files: files}
	h.open(filepath.Join(dir, "search.bleve"))
	t.Cleanup(func() {
		h.stop()
		h.index.Close()
	})
	return h
}

func (h *harness) open(dir string) {
	h.t.Helper()
	index, rebuild, err := search.Open(context.Background(), dir)
	if err != nil {
		h.t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h.index = index
	h.indexer = history.NewIndexer(h.store, h.files, index, !rebuild, history.IndexerOptions{MaxTextBytes: 64}, log)
	h.svc = history.NewService(h.store, index, h.indexer.Ready)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.indexer.Run(ctx) }()
	h.stop = func() { cancel(); <-done }
}

func (h *harness) user(email string) string {
	h.t.Helper()
	return boltstoretest.User(h.t, h.store, email).ID
}

// task stores a task and publishes it, as the task service does.
func (h *harness) task(userID, name string, at time.Duration, status domain.TaskStatus) *domain.Task {
	h.t.Helper()
	created := base.Add(at)
	t := &domain.Task{ID: boltstore.NewID(), UserID: userID, Filename: name, Status: status, Engine: "tesseract",
		Lang: "eng", PagesTotal: 1, CreatedAt: created, QueuedAt: created}
	boltstoretest.CreateTasks(h.t, h.store, t)
	h.indexer.Publish(t)
	return t
}

// complete writes result.txt and marks the task completed.
func (h *harness) complete(t *domain.Task, text string) *domain.Task {
	h.t.Helper()
	ctx := context.Background()
	if err := h.files.MakeTaskDir(ctx, t.UserID, t.ID); err != nil {
		h.t.Fatal(err)
	}
	if err := h.files.WriteFileAtomic(ctx, t.UserID, t.ID, "result.txt", []byte(text)); err != nil {
		h.t.Fatal(err)
	}
	done := t.CreatedAt.Add(time.Minute)
	nt, err := h.store.UpdateTask(ctx, t.UserID, t.ID, func(x *domain.Task) error {
		x.Status, x.CompletedAt, x.DurationMS, x.PagesDone = domain.StatusCompleted, &done, 60000, 1
		x.Files = append(x.Files, domain.File{ID: boltstore.NewID(), Kind: domain.KindTxt, Name: "r.txt",
			StoredName: "result.txt", Size: int64(len(text)), ContentType: "text/plain", CreatedAt: done})
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.indexer.Publish(nt)
	return nt
}

func (h *harness) flush() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.indexer.Flush(ctx); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) names(userID string, q domain.SearchQuery) ([]string, int) {
	h.t.Helper()
	h.flush()
	items, total, err := h.svc.Search(context.Background(), userID, q)
	if err != nil {
		h.t.Fatalf("search %+v: %v", q, err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Filename)
	}
	return out, total
}

func TestIndexerFollowsTheStore(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	alice, bob := h.user("alice@example.org"), h.user("bob@example.org")
	a := h.task(alice, "letter.png", 0, domain.StatusPending)
	h.task(bob, "letter-bob.png", 0, domain.StatusPending)

	if got, total := h.names(alice, domain.SearchQuery{Q: "letter"}); total != 1 || !slices.Equal(got, []string{"letter.png"}) {
		t.Fatalf("filename search: %v (%d)", got, total)
	}
	// Completion brings the recognised text (capped at 64 bytes here).
	stale := a.Clone()
	h.complete(a, "Dear Sir, the quick brown fox. "+strings.Repeat("padding ", 10)+"unreachable")
	if got, _ := h.names(alice, domain.SearchQuery{Q: "quick fox"}); !slices.Equal(got, []string{"letter.png"}) {
		t.Fatalf("text search: %v", got)
	}
	if got, _ := h.names(alice, domain.SearchQuery{Q: "unreachable"}); len(got) != 0 {
		t.Fatalf("text past MaxTextBytes indexed: %v", got)
	}
	// A stale snapshot published late changes nothing: the store is re-read.
	h.indexer.Publish(stale)
	if got, _ := h.names(alice, domain.SearchQuery{Status: domain.StatusCompleted}); !slices.Equal(got, []string{"letter.png"}) {
		t.Fatalf("stale publish won: %v", got)
	}
	// bob never finds alice's words.
	if got, total := h.names(bob, domain.SearchQuery{Q: "quick"}); total != 0 || len(got) != 0 {
		t.Fatalf("bob found alice's text: %v", got)
	}
	// Delete: the task is gone from the store, so from the index.
	if _, err := h.store.DeleteTask(ctx, alice, a.ID); err != nil {
		t.Fatal(err)
	}
	h.indexer.Publish(a)
	if _, total := h.names(alice, domain.SearchQuery{Sort: domain.SortFilename}); total != 0 {
		t.Fatalf("deleted task still indexed (%d)", total)
	}
	// A deleted user's entries go with RemoveUser.
	if err := h.indexer.RemoveUser(ctx, bob); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.index.DocCount(ctx); n != 0 {
		t.Fatalf("%d documents left", n)
	}
}

func TestTextFromPagesWhenNoTxtOutput(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	alice := h.user("alice@example.org")
	a := h.task(alice, "scan.tif", 0, domain.StatusProcessing)
	for n, text := range []string{"first page about llamas", "second page about alpacas"} {
		raw, _ := json.Marshal(outputs.Page{Number: n + 1, Text: text})
		if err := h.files.MakeTaskDir(ctx, alice, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := h.files.WriteFileAtomic(ctx, alice, a.ID, outputs.PageJSONName(n+1), raw); err != nil {
			t.Fatal(err)
		}
	}
	nt, err := h.store.UpdateTask(ctx, alice, a.ID, func(x *domain.Task) error {
		x.Status, x.PagesTotal, x.PagesDone = domain.StatusCompleted, 2, 2
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.indexer.Publish(nt)
	if got, _ := h.names(alice, domain.SearchQuery{Q: "alpacas"}); !slices.Equal(got, []string{"scan.tif"}) {
		t.Fatalf("page text not indexed: %v", got)
	}
}

func TestRebuildFromStore(t *testing.T) {
	h := newHarness(t)
	alice := h.user("alice@example.org")
	h.complete(h.task(alice, "one.png", 0, domain.StatusPending), "zebra crossing")
	h.task(alice, "two.png", time.Hour, domain.StatusFailed)
	h.flush()
	// Lose the index entirely, as after a crash or a mapping change.
	dir := filepath.Join(h.t.TempDir(), "other.bleve")
	h.stop()
	h.index.Close()
	h.open(dir)
	if h.indexer.Ready() {
		t.Fatal("a new index must not be ready before the rebuild")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for !h.indexer.Ready() && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	if got, total := h.names(alice, domain.SearchQuery{Q: "zebra"}); total != 1 || got[0] != "one.png" {
		t.Fatalf("rebuilt index: %v (%d)", got, total)
	}
	if _, total := h.names(alice, domain.SearchQuery{Sort: domain.SortStatus}); total != 2 {
		t.Fatalf("rebuilt index holds %d tasks", total)
	}
}

func TestServiceRefusesWhileRebuilding(t *testing.T) {
	h := newHarness(t)
	alice := h.user("alice@example.org")
	svc := history.NewService(h.store, h.index, func() bool { return false })
	for _, q := range []domain.SearchQuery{{Q: "x"}, {Sort: domain.SortFilename}} {
		if _, _, err := svc.Search(context.Background(), alice, q); !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("%+v: want ErrUnavailable, got %v", q, err)
		}
	}
	// Newest first without a search text comes from the store.
	if _, _, err := svc.Search(context.Background(), alice, domain.SearchQuery{Desc: true}); err != nil {
		t.Fatalf("plain listing needs no index: %v", err)
	}
	if _, err := svc.Export(context.Background(), alice, "csv", domain.SearchQuery{Q: "x"}); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("export with q: want ErrUnavailable, got %v", err)
	}
	if _, err := svc.Export(context.Background(), alice, "csv", domain.SearchQuery{}); err != nil {
		t.Fatalf("export without q needs no index: %v", err)
	}
}

func TestSearchValidation(t *testing.T) {
	h := newHarness(t)
	alice := h.user("alice@example.org")
	for _, q := range []domain.SearchQuery{
		{From: base, To: base.Add(-time.Hour)}, {Sort: "size"}, {Status: "nope"},
		{Q: strings.Repeat("x", domain.MaxSearchBytes+1)}, {Offset: -1},
	} {
		if _, _, err := h.svc.Search(context.Background(), alice, q); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%+v: want ErrInvalid, got %v", q, err)
		}
	}
}

func TestStatsPerDay(t *testing.T) {
	h := newHarness(t)
	alice := h.user("alice@example.org")
	now := time.Now().UTC()
	for i, days := range []int{0, 0, 1, 29, 30} {
		created := now.AddDate(0, 0, -days)
		task := &domain.Task{ID: boltstore.NewID(), UserID: alice, Filename: fmt.Sprint(i), Status: domain.StatusPending,
			CreatedAt: created, QueuedAt: created}
		boltstoretest.CreateTasks(t, h.store, task)
	}
	st, err := h.svc.Stats(context.Background(), alice, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 5 || st.ByStatus[domain.StatusPending] != 5 || len(st.ByStatus) != 5 || len(st.PerDay) != history.StatsDays {
		t.Fatalf("stats %+v", st)
	}
	last, first := st.PerDay[len(st.PerDay)-1], st.PerDay[0]
	if last.Date != now.Format("2006-01-02") || last.Count != 2 || st.PerDay[28].Count != 1 || first.Count != 1 {
		t.Fatalf("per_day %+v", st.PerDay)
	}
}

// TestStatsPerDayInTimeZone: with an offset, per_day counts the days of
// that offset, which the UTC counters cannot tell: a task at 00:30 local
// time is today there, though it is still yesterday in UTC at UTC+14
// (and a task at 23:30 at UTC-05:30 is tomorrow in UTC).
func TestStatsPerDayInTimeZone(t *testing.T) {
	tests := []struct {
		name string
		loc  *time.Location
		// at are creation times as durations after today's local midnight.
		at                   []time.Duration
		today, yesterday, d2 int
	}{
		{"UTC", time.UTC, []time.Duration{30 * time.Minute, -30 * time.Minute}, 1, 1, 0},
		{"UTC+14 just after midnight", time.FixedZone("+14:00", 14*3600), []time.Duration{30 * time.Minute, -30 * time.Minute}, 1, 1, 0},
		{"UTC-05:30 late evening", time.FixedZone("-05:30", -(5*3600 + 1800)), []time.Duration{-30 * time.Minute, -24*time.Hour - time.Minute}, 0, 1, 1},
		{"UTC+05:45 both today", time.FixedZone("+05:45", 5*3600+2700), []time.Duration{time.Minute, 23*time.Hour + 58*time.Minute}, 2, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			alice := h.user("alice@example.org")
			now := time.Now().In(tc.loc)
			midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, tc.loc)
			for i, d := range tc.at {
				created := midnight.Add(d).UTC()
				boltstoretest.CreateTasks(t, h.store, &domain.Task{ID: boltstore.NewID(), UserID: alice,
					Filename: fmt.Sprint(i), Status: domain.StatusPending, CreatedAt: created, QueuedAt: created})
			}
			st, err := h.svc.Stats(context.Background(), alice, tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.PerDay) != history.StatsDays || st.Total != len(tc.at) {
				t.Fatalf("stats %+v", st)
			}
			n := len(st.PerDay)
			got := []domain.DayCount{st.PerDay[n-3], st.PerDay[n-2], st.PerDay[n-1]}
			want := []domain.DayCount{
				{Date: midnight.AddDate(0, 0, -2).Format(time.DateOnly), Count: tc.d2},
				{Date: midnight.AddDate(0, 0, -1).Format(time.DateOnly), Count: tc.yesterday},
				{Date: midnight.Format(time.DateOnly), Count: tc.today},
			}
			if !slices.Equal(got, want) {
				t.Errorf("last days %+v, want %+v", got, want)
			}
		})
	}
}

func TestExportCSV(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.user("alice@example.org"), h.user("bob@example.org")
	names := []string{"=cmd|' /C calc'!A0.png", "+1 555.png", "-2.png", "@SUM(A1).png", "\tinvoice.png", "plain, \"quoted\" ünïcödé.png"}
	for i, n := range names {
		h.task(alice, n, time.Duration(i)*time.Minute, domain.StatusPending)
	}
	h.task(bob, "bob-only.png", 0, domain.StatusPending)
	h.flush()
	exp, err := h.svc.Export(context.Background(), alice, "csv", domain.SearchQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(exp.Filename, "ocrbox-history-") || !strings.HasSuffix(exp.Filename, ".csv") {
		t.Fatalf("filename %q", exp.Filename)
	}
	var buf bytes.Buffer
	if err := exp.WriteTo(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	body, ok := bytes.CutPrefix(buf.Bytes(), []byte("\ufeff"))
	if !ok {
		t.Fatal("no UTF-8 byte order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(names)+1 || rows[0][0] != "id" || rows[0][10] != "error" {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	want := []string{"plain, \"quoted\" ünïcödé.png", "'\tinvoice.png", "'@SUM(A1).png", "'-2.png", "'+1 555.png", "'=cmd|' /C calc'!A0.png"}
	for i, w := range want { // newest first
		if rows[i+1][1] != w {
			t.Errorf("row %d filename %q, want %q", i+1, rows[i+1][1], w)
		}
	}
	for _, r := range rows {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q starts a formula", cell)
			}
		}
	}
	if strings.Contains(buf.String(), "bob-only") {
		t.Fatal("export holds another user's task")
	}
}

func TestExportJSONAndBadFormat(t *testing.T) {
	h := newHarness(t)
	alice := h.user("alice@example.org")
	var batch []*domain.Task
	for i := range 1203 { // more than two export chunks
		batch = append(batch, &domain.Task{ID: boltstore.NewID(), UserID: alice, Filename: fmt.Sprintf("f%04d.png", i),
			Status: domain.StatusFailed, CreatedAt: base.Add(time.Duration(i) * time.Second), QueuedAt: base})
	}
	if err := h.store.CreateTasks(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	for _, task := range batch {
		h.indexer.Publish(task)
	}
	h.task(alice, "pending.png", 0, domain.StatusPending)
	h.flush()
	exp, err := h.svc.Export(context.Background(), alice, "json", domain.SearchQuery{Status: domain.StatusFailed})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := exp.WriteTo(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	var got []domain.Task
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	if len(got) != 1203 || got[0].Filename != "f1202.png" || got[1202].Filename != "f0000.png" {
		t.Fatalf("%d tasks, first %q", len(got), got[0].Filename)
	}
	if _, err := h.svc.Export(context.Background(), alice, "xlsx", domain.SearchQuery{}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("format xlsx: %v", err)
	}
}

// The store (plain listings) and the index (searches, other orders) must
// agree on what a date range and a status select, and in which order.
func TestStoreAndIndexAgree(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	alice := h.user("alice@example.org")
	var batch []*domain.Task
	statuses := []domain.TaskStatus{domain.StatusPending, domain.StatusCompleted, domain.StatusFailed}
	for i := range 60 {
		created := base.Add(time.Duration(i/3) * 7 * time.Hour) // triples share created_at
		batch = append(batch, &domain.Task{ID: boltstore.NewID(), UserID: alice, Filename: fmt.Sprint(i),
			Status: statuses[i%3], CreatedAt: created, QueuedAt: created})
	}
	if err := h.store.CreateTasks(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, task := range batch {
		h.indexer.Publish(task)
	}
	h.flush()
	var zero time.Time
	for _, from := range []time.Time{zero, base.Add(14 * time.Hour), base.Add(15 * time.Hour)} {
		for _, to := range []time.Time{zero, base.Add(70 * time.Hour), base.Add(70*time.Hour - time.Nanosecond)} {
			for _, st := range []domain.TaskStatus{"", domain.StatusCompleted} {
				for _, desc := range []bool{true, false} {
					items, total, err := h.store.ListTasks(ctx, alice, domain.ListQuery{Status: st, Desc: desc, Offset: 2, Limit: 7, From: from, To: to})
					if err != nil {
						t.Fatal(err)
					}
					ids, itotal, err := h.index.Search(ctx, alice, domain.SearchQuery{Status: st, Desc: desc, Offset: 2, Limit: 7, From: from, To: to})
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, it := range items {
						got = append(got, it.ID)
					}
					if total != itotal || !slices.Equal(got, ids) {
						t.Fatalf("from %v to %v %q desc %v: store %d %v, index %d %v", from, to, st, desc, total, got, itotal, ids)
					}
				}
			}
		}
	}
}
