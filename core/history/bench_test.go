package history_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/history"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/search"
)

// The history benchmark runs only with -bench (go test -run '^$' -bench
// HistoryAtScale ./core/history). Its data set is generated directly into
// bbolt and bleve, in batches:
//
//	OCRBOX_BENCH_TASKS  total tasks            (default 1,000,000)
//	OCRBOX_BENCH_USERS  users                  (default 1,000)
//	OCRBOX_BENCH_BIG    tasks of the big user  (default 100,000)
//	OCRBOX_BENCH_DIR    keep the data set here and reuse it on later runs
//	                    (default: a temporary directory, removed afterwards)
//
// Every task has a filename from a few realistic patterns and, if
// completed, 40 words of synthetic recognised text (Zipf-distributed over a
// 5,000-word vocabulary; one task in 1,000 also holds the word "needle").
// Page 500 needs a big user of at least 10,000 tasks.

func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

type benchData struct {
	store   *boltstore.Store
	index   *search.Index
	svc     *history.Service
	big     string // the user with OCRBOX_BENCH_BIG tasks
	small   string // a user with an average number of tasks
	bigN    int
	total   int
	cleanup func()
}

var (
	benchOnce sync.Once
	bench     *benchData
)

func benchDataset(b *testing.B) *benchData {
	benchOnce.Do(func() { bench = buildBenchData(b) })
	if bench == nil {
		b.Fatal("no benchmark data set")
	}
	return bench
}

var vocab = func() []string {
	syll := []string{"ka", "ro", "mi", "te", "su", "an", "lo", "ve", "di", "ne", "pa", "or", "el", "tu", "ba", "qui"}
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	var out []string
	for len(out) < 5000 {
		var sb strings.Builder
		for range 2 + r.IntN(3) {
			sb.WriteString(syll[r.IntN(len(syll))])
		}
		if w := sb.String(); !seen[w] && w != "needle" {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}()

var filenamePatterns = []func(i int) string{
	func(i int) string { return fmt.Sprintf("scan_%06d.pdf", i) },
	func(i int) string { return fmt.Sprintf("invoice-2026-%02d-%05d.pdf", i%12+1, i%100000) },
	func(i int) string { return fmt.Sprintf("IMG_2026%04d_%06d.jpg", i%1231, i) },
	func(i int) string { return fmt.Sprintf("Rechnung März %d.png", i) },
	func(i int) string {
		return fmt.Sprintf("contract %s %d.tif", []string{"alpha", "beta", "gamma"}[i%3], i)
	},
	func(i int) string { return fmt.Sprintf("報告書_%d.png", i) },
}

func benchText(r *rand.Rand, z *rand.Zipf, i int) string {
	var sb strings.Builder
	for range 40 {
		sb.WriteString(vocab[z.Uint64()])
		sb.WriteByte(' ')
	}
	if i%1000 == 7 {
		sb.WriteString("needle")
	}
	return sb.String()
}

func buildBenchData(b *testing.B) *benchData {
	total := benchEnv("OCRBOX_BENCH_TASKS", 1_000_000)
	users := benchEnv("OCRBOX_BENCH_USERS", 1_000)
	bigN := min(benchEnv("OCRBOX_BENCH_BIG", 100_000), total)
	ctx := context.Background()
	dir := os.Getenv("OCRBOX_BENCH_DIR")
	keep := dir != ""
	if !keep {
		var err error
		if dir, err = os.MkdirTemp("", "ocrbox-bench-"); err != nil {
			b.Fatal(err)
		}
	}
	marker := filepath.Join(dir, fmt.Sprintf("complete-%d-%d-%d", total, users, bigN))
	_, statErr := os.Stat(marker)
	reuse := statErr == nil
	if !reuse {
		_ = os.RemoveAll(filepath.Join(dir, "ocrbox.db"))
		_ = os.RemoveAll(filepath.Join(dir, "search.bleve"))
	}
	store, err := boltstore.Open(ctx, filepath.Join(dir, "ocrbox.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	index, _, err := search.Open(ctx, filepath.Join(dir, "search.bleve"))
	if err != nil {
		b.Fatal(err)
	}
	d := &benchData{store: store, index: index, bigN: bigN, total: total}
	d.cleanup = func() {
		index.Close()
		store.Close()
		if !keep {
			os.RemoveAll(dir)
		}
	}

	var ids []string
	if reuse {
		all, _, err := store.ListUsersWithIdentities(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range all {
			ids = append(ids, u.ID)
		}
		slices.Sort(ids)
	} else {
		for i := range users {
			u, err := store.UpsertUser(ctx, domain.User{Email: fmt.Sprintf("user%04d@example.org", i), Name: "u", Provider: "local"})
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		slices.Sort(ids)
		generate(b, d, ids)
		if err := os.WriteFile(marker, nil, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	d.big, d.small = ids[0], ids[len(ids)/2]
	d.svc = history.NewService(store, index, func() bool { return true })
	return d
}

// generate writes the tasks: the big user's first, then the others round
// robin, in batches of one bbolt transaction and one bleve batch each.
func generate(b *testing.B, d *benchData, users []string) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 8))
	z := rand.NewZipf(r, 1.1, 1, uint64(len(vocab)-1))
	now := time.Now().UTC()
	statuses := []domain.TaskStatus{domain.StatusCompleted, domain.StatusCompleted, domain.StatusCompleted,
		domain.StatusCompleted, domain.StatusCompleted, domain.StatusCompleted, domain.StatusCompleted,
		domain.StatusCompleted, domain.StatusFailed, domain.StatusCancelled}
	const batch = 10_000
	var (
		tasks  []*domain.Task
		docs   []domain.SearchDoc
		tBolt  time.Duration
		tBleve time.Duration
	)
	flush := func() {
		start := time.Now()
		if err := d.store.CreateTasks(ctx, tasks); err != nil {
			b.Fatal(err)
		}
		tBolt += time.Since(start)
		start = time.Now()
		if err := d.index.Update(ctx, docs, nil); err != nil {
			b.Fatal(err)
		}
		tBleve += time.Since(start)
		tasks, docs = tasks[:0], docs[:0]
	}
	genStart := time.Now()
	for i := range d.total {
		user := users[0]
		if i >= d.bigN {
			user = users[1+(i-d.bigN)%(len(users)-1)]
		}
		created := now.Add(-time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
		st := statuses[r.IntN(len(statuses))]
		if i%100 == 0 {
			st = domain.StatusPending
		}
		t := &domain.Task{ID: boltstore.NewID(), UserID: user, Filename: filenamePatterns[i%len(filenamePatterns)](i),
			Status: st, Engine: "tesseract", Lang: "eng", Outputs: []domain.FileKind{domain.KindTxt},
			PagesTotal: 1 + r.IntN(8), CreatedAt: created, QueuedAt: created,
			Files: []domain.File{{ID: boltstore.NewID(), Kind: domain.KindInput, Name: "in", StoredName: "input.pdf",
				Size: 10_000 + r.Int64N(1_000_000), ContentType: "application/pdf", CreatedAt: created}}}
		text := ""
		if st.Terminal() {
			done := created.Add(time.Duration(1+r.IntN(120)) * time.Second)
			t.CompletedAt, t.StartedAt, t.DurationMS = &done, &created, done.Sub(created).Milliseconds()
			if st == domain.StatusCompleted {
				t.PagesDone = t.PagesTotal
				text = benchText(r, z, i)
				t.Files = append(t.Files, domain.File{ID: boltstore.NewID(), Kind: domain.KindTxt, Name: "out.txt",
					StoredName: "result.txt", Size: int64(len(text)), ContentType: "text/plain", CreatedAt: done})
			} else if st == domain.StatusFailed {
				t.Error = "=the page could not be read"
			}
		}
		tasks = append(tasks, t)
		docs = append(docs, t.SearchDoc(text))
		if len(tasks) == batch {
			flush()
			if (i+1)%100_000 == 0 {
				fmt.Fprintf(os.Stderr, "generated %d tasks (%s)\n", i+1, time.Since(genStart).Round(time.Second))
			}
		}
	}
	if len(tasks) > 0 {
		flush()
	}
	if err := d.index.MarkBuilt(ctx); err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "generated %d tasks of %d users in %s: bbolt %s, bleve %s\n",
		d.total, len(users), time.Since(genStart).Round(time.Second), tBolt.Round(time.Second), tBleve.Round(time.Second))
}

// measure runs fn b.N times and reports p50/p99 (ms) besides ns/op and
// allocs/op.
func measure(b *testing.B, fn func() error) {
	b.ReportAllocs()
	samples := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(samples)
	pct := func(p float64) float64 {
		return float64(samples[min(len(samples)-1, int(p*float64(len(samples))))]) / 1e6
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// peakHeap runs fn while sampling the heap and returns the highest
// HeapAlloc above what was live before, in bytes.
func peakHeap(fn func() error) (uint64, error) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseline := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	err := fn()
	close(stop)
	<-done
	if p := peak.Load(); p > baseline {
		return p - baseline, err
	}
	return 0, err
}

func BenchmarkHistoryAtScale(b *testing.B) {
	d := benchDataset(b)
	b.Cleanup(func() {}) // the data set lives for the whole process
	ctx := context.Background()
	big := d.big
	page := func(n int, status domain.TaskStatus, sort string) func() error {
		return func() error {
			items, total, err := listTasks(ctx, d, big, domain.ListQuery{Status: status, Sort: sort, Desc: true, Offset: (n - 1) * 20, Limit: 20})
			if err == nil && (len(items) != 20 || total == 0) {
				err = fmt.Errorf("page %d: %d items of %d", n, len(items), total)
			}
			return err
		}
	}
	b.Run("tasks_page_1", func(b *testing.B) { measure(b, page(1, "", "")) })
	b.Run("tasks_page_500", func(b *testing.B) { measure(b, page(500, "", "")) })
	b.Run("tasks_completed_page_500", func(b *testing.B) { measure(b, page(500, domain.StatusCompleted, "")) })
	b.Run("tasks_by_filename_page_1", func(b *testing.B) { measure(b, page(1, "", domain.SortFilename)) })
	b.Run("tasks_by_filename_page_500", func(b *testing.B) { measure(b, page(500, "", domain.SortFilename)) })
	searchQ := func(q domain.SearchQuery) func() error {
		return func() error {
			q.Limit = 20
			_, total, err := d.svc.Search(ctx, big, q)
			if err == nil && total == 0 {
				err = fmt.Errorf("%+v: no match", q)
			}
			return err
		}
	}
	b.Run("history_page_1", func(b *testing.B) { measure(b, searchQ(domain.SearchQuery{Desc: true})) })
	b.Run("history_page_500", func(b *testing.B) { measure(b, searchQ(domain.SearchQuery{Desc: true, Offset: 499 * 20})) })
	b.Run("history_last_90_days_page_50", func(b *testing.B) {
		now := time.Now().UTC()
		measure(b, searchQ(domain.SearchQuery{From: now.AddDate(0, 0, -90), To: now, Desc: true, Offset: 49 * 20}))
	})
	b.Run("search_filename", func(b *testing.B) { measure(b, searchQ(domain.SearchQuery{Q: "invoice", Desc: true})) })
	b.Run("search_filename_prefix", func(b *testing.B) { measure(b, searchQ(domain.SearchQuery{Q: "rech", Desc: true})) })
	b.Run("search_filename_exact_one", func(b *testing.B) { measure(b, searchQ(domain.SearchQuery{Q: "scan_000042", Desc: true})) })
	b.Run("search_text_rare", func(b *testing.B) { measure(b, searchQ(domain.SearchQuery{Q: "needle", Desc: true})) })
	b.Run("search_text_common", func(b *testing.B) { measure(b, searchQ(domain.SearchQuery{Q: vocab[20], Desc: true})) })
	b.Run("search_text_and_dates", func(b *testing.B) {
		now := time.Now().UTC()
		measure(b, searchQ(domain.SearchQuery{Q: vocab[5], From: now.AddDate(0, -1, 0), To: now, Desc: true}))
	})
	b.Run("stats", func(b *testing.B) {
		measure(b, func() error { _, err := d.svc.Stats(ctx, big, nil); return err })
	})
	export := func(user string) (int64, uint64, error) {
		exp, err := d.svc.Export(ctx, user, history.FormatCSV, domain.SearchQuery{})
		if err != nil {
			return 0, 0, err
		}
		cw := &countWriter{}
		peak, err := peakHeap(func() error { return exp.WriteTo(ctx, cw) })
		return cw.n, peak, err
	}
	b.Run("export_csv_big_user", func(b *testing.B) {
		var peaks []uint64
		var size int64
		measure(b, func() error {
			n, peak, err := export(big)
			peaks, size = append(peaks, peak), n
			return err
		})
		b.ReportMetric(float64(slices.Max(peaks))/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(size)/(1<<20), "csv-MB")
	})
	b.Run("export_csv_big_user_q", func(b *testing.B) {
		var peaks []uint64
		var size int64
		measure(b, func() error {
			exp, err := d.svc.Export(ctx, big, history.FormatCSV, domain.SearchQuery{Q: "invoice"})
			if err != nil {
				return err
			}
			cw := &countWriter{}
			peak, err := peakHeap(func() error { return exp.WriteTo(ctx, cw) })
			peaks, size = append(peaks, peak), cw.n
			return err
		})
		b.ReportMetric(float64(slices.Max(peaks))/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(size)/(1<<20), "csv-MB")
	})
	b.Run("export_csv_small_user", func(b *testing.B) {
		var peaks []uint64
		measure(b, func() error {
			_, peak, err := export(d.small)
			peaks = append(peaks, peak)
			return err
		})
		b.ReportMetric(float64(slices.Max(peaks))/(1<<20), "peak-heap-MB")
	})
}

// listTasks is GET /tasks as the task service serves it: created_at from
// the store, other orders from the index.
func listTasks(ctx context.Context, d *benchData, user string, q domain.ListQuery) ([]*domain.Task, int, error) {
	if q.Sort == "" || q.Sort == domain.SortCreatedAt {
		return d.store.ListTasks(ctx, user, q)
	}
	return d.svc.List(ctx, user, q)
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// TestMain closes the benchmark data set after the benchmarks ran.
func TestMain(m *testing.M) {
	code := m.Run()
	if bench != nil {
		bench.cleanup()
	}
	os.Exit(code)
}

// oneTextFile serves the same small result.txt for every task, so a
// rebuild reads a file per completed task as it would on a real server.
type oneTextFile struct{ path string }

func (o oneTextFile) Open(context.Context, string, string, string) (*os.File, error) {
	return os.Open(o.path)
}

// BenchmarkIndexRebuildAtScale rebuilds a fresh index from the benchmark
// store (what serve does on start when the index is missing or outdated):
// every task read from bbolt in chunks, a 300-byte text file opened and
// read per completed task, all indexed in batches.
func BenchmarkIndexRebuildAtScale(b *testing.B) {
	d := benchDataset(b)
	ctx := context.Background()
	dir := b.TempDir()
	text := filepath.Join(dir, "result.txt")
	r := rand.New(rand.NewPCG(3, 4))
	if err := os.WriteFile(text, []byte(benchText(r, rand.NewZipf(r, 1.1, 1, uint64(len(vocab)-1)), 7)), 0o600); err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		index, _, err := search.Open(ctx, filepath.Join(dir, fmt.Sprint("index-", i)))
		if err != nil {
			b.Fatal(err)
		}
		ix := history.NewIndexer(d.store, oneTextFile{text}, index, false, history.IndexerOptions{},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		start := time.Now()
		n, err := ix.Rebuild(ctx)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		if err := index.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/took.Seconds(), "tasks/s")
		b.ReportMetric(took.Seconds(), "s")
	}
}
