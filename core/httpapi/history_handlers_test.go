package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/downloads"
	"github.com/ocrbox/ocrbox/core/history"
	"github.com/ocrbox/ocrbox/core/httpapi"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/storage/search"
)

// historyEnv is the API over real bbolt, files and bleve, with the indexer
// running and wired like serve wires it (history.enabled on), or without
// history at all (off).
type historyEnv struct {
	*env
	files   *filestore.Store
	indexer *history.Indexer
}

func newHistoryEnv(t *testing.T, enabled bool) *historyEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, files, prov := newBackend(t, dir)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	broker := tasks.NewBroker()
	var events tasks.Events = broker
	var hist httpapi.History
	var indexer *history.Indexer
	var searcher *history.Service
	if enabled {
		index, rebuild, err := search.Open(ctx, filepath.Join(dir, "search.bleve"))
		if err != nil {
			t.Fatal(err)
		}
		indexer = history.NewIndexer(store, files, index, !rebuild, history.IndexerOptions{}, log)
		searcher = history.NewService(store, index, indexer.Ready)
		hist, events = searcher, tasks.Fanout{Broker: broker, Also: []tasks.Publisher{indexer}}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); indexer.Run(runCtx) }()
		t.Cleanup(func() { stop(); <-done; index.Close() })
	}
	svc := tasks.NewService(store, files, engines{}, idleRunner{}, events, pages.Sniff, inspectPages, boltstore.NewID,
		tasks.Options{DefaultEngine: "tesseract", DefaultLang: "eng", DefaultOutputs: []domain.FileKind{domain.KindTxt},
			MaxUploadBytes: 1 << 20})
	if searcher != nil {
		svc.SetSearcher(searcher)
	}
	sess := newSessions(t, store, prov, 100, log)
	app := httpapi.New(sess, svc, downloads.NewService(store, files, log), engines{}, func(context.Context) error { return nil },
		httpapi.Options{MaxUploadBytes: 1 << 20, MaxFilesPerUpload: 3, ReadTimeout: time.Minute, CookieName: "ocrbox_session",
			SessionLifetime: time.Hour, UI: fstest.MapFS{"index.html": {Data: []byte("ui")}}, History: hist}, log)
	return &historyEnv{env: &env{app: app, dir: dir, store: store}, files: files, indexer: indexer}
}

// signIn logs a user in and returns the token and the user id.
func (e *historyEnv) signIn(t *testing.T, name string) (string, string) {
	t.Helper()
	tok := e.login(t, name)
	var me struct{ User domain.User }
	e.do(t, "GET", "/api/v1/auth/me", tok, nil, "").json(t, &me)
	return tok, me.User.ID
}

var day0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

// add stores a task directly (controlled dates) and, with text, completes
// it with a result.txt, publishing like the worker does.
func (e *historyEnv) add(t *testing.T, userID, name string, at time.Duration, status domain.TaskStatus, dur int64, text string) *domain.Task {
	t.Helper()
	ctx := context.Background()
	created := day0.Add(at)
	task := &domain.Task{ID: boltstore.NewID(), UserID: userID, Filename: name, Status: status, Engine: "tesseract",
		Lang: "eng", PagesTotal: 1, DurationMS: dur, CreatedAt: created, QueuedAt: created}
	if status.Terminal() {
		done := created.Add(time.Duration(dur) * time.Millisecond)
		task.CompletedAt = &done
	}
	if text != "" {
		if err := e.files.MakeTaskDir(ctx, userID, task.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.files.WriteFileAtomic(ctx, userID, task.ID, "result.txt", []byte(text)); err != nil {
			t.Fatal(err)
		}
		task.Files = []domain.File{{ID: boltstore.NewID(), Kind: domain.KindTxt, Name: "r.txt", StoredName: "result.txt",
			Size: int64(len(text)), ContentType: "text/plain", CreatedAt: created}}
	}
	boltstoretest.CreateTasks(t, e.store, task)
	e.indexer.Publish(task)
	return task
}

func (e *historyEnv) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.indexer.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

type listBody struct {
	Items    []domain.Task `json:"items"`
	Total    int           `json:"total"`
	Page     int           `json:"page"`
	PageSize int           `json:"page_size"`
}

func (l listBody) names() []string {
	var out []string
	for _, it := range l.Items {
		out = append(out, it.Filename)
	}
	return out
}

const hour = time.Hour

// seedHistory gives alice eight tasks over four days and bob two whose
// names and words would show in alice's results if anything leaked.
func seedHistory(t *testing.T, e *historyEnv, alice, bob string) {
	t.Helper()
	e.add(t, alice, "invoice_2026-03.pdf", 0, domain.StatusCompleted, 4000, "Total amount due: 120 EUR")
	e.add(t, alice, "Receipt.png", 2*hour, domain.StatusFailed, 100, "")
	e.add(t, alice, "scan 001.tif", 24*hour, domain.StatusPending, 0, "")
	e.add(t, alice, "Überweisung März.pdf", 26*hour, domain.StatusCompleted, 9000, "Überweisung an die Stadtwerke")
	e.add(t, alice, "報告書.png", 48*hour, domain.StatusCompleted, 10, "quarterly report")
	e.add(t, alice, "'; DROP TABLE tasks;--.png", 49*hour, domain.StatusCancelled, 0, "")
	e.add(t, alice, "=HYPERLINK(\"http://evil\").png", 72*hour, domain.StatusCompleted, 50, "formula bait")
	e.add(t, alice, "late.png", 72*hour+14*hour+29*time.Minute, domain.StatusProcessing, 0, "")
	e.add(t, bob, "bob-secret-contract.pdf", 0, domain.StatusCompleted, 5, "confidential merger amount")
	e.add(t, bob, "invoice_bob.pdf", hour, domain.StatusCompleted, 5, "zebra")
	e.flush(t)
}

func TestHistorySearchAndFilters(t *testing.T) {
	e := newHistoryEnv(t, true)
	tok, alice := e.signIn(t, "alice")
	_, bob := e.signIn(t, "bob")
	seedHistory(t, e, alice, bob)

	tests := []struct {
		query string
		want  []string
		total int
	}{
		{"", []string{"late.png", "=HYPERLINK(\"http://evil\").png", "'; DROP TABLE tasks;--.png", "報告書.png",
			"Überweisung März.pdf", "scan 001.tif", "Receipt.png", "invoice_2026-03.pdf"}, 8},
		{"page=2&page_size=3", []string{"報告書.png", "Überweisung März.pdf", "scan 001.tif"}, 8},
		{"page=9&page_size=3", nil, 8},
		{"order=asc&page_size=2", []string{"invoice_2026-03.pdf", "Receipt.png"}, 8},
		{"from=2026-03-02&to=2026-03-03", []string{"'; DROP TABLE tasks;--.png", "報告書.png", "Überweisung März.pdf", "scan 001.tif"}, 4},
		{"to=2026-03-01", []string{"Receipt.png", "invoice_2026-03.pdf"}, 2},
		{"from=2026-03-04T23:59:00Z", []string{"late.png"}, 1},
		{"from=2026-03-01T11:00:00%2B01:00&to=2026-03-01T11:30:00Z", []string{"Receipt.png"}, 1},
		{"status=completed", []string{"=HYPERLINK(\"http://evil\").png", "報告書.png", "Überweisung März.pdf", "invoice_2026-03.pdf"}, 4},
		{"status=completed&from=2026-03-02", []string{"=HYPERLINK(\"http://evil\").png", "報告書.png", "Überweisung März.pdf"}, 3},
		{"q=invoice", []string{"invoice_2026-03.pdf"}, 1},
		{"q=inv", []string{"invoice_2026-03.pdf"}, 1},
		{"q=2026", []string{"invoice_2026-03.pdf"}, 1},
		{"q=RECEIPT", []string{"Receipt.png"}, 1},
		{"q=" + url.QueryEscape("überweisung"), []string{"Überweisung März.pdf"}, 1},
		{"q=" + url.QueryEscape("報告"), []string{"報告書.png"}, 1},
		{"q=amount", []string{"invoice_2026-03.pdf"}, 1},
		{"q=" + url.QueryEscape("stadtwerke"), []string{"Überweisung März.pdf"}, 1},
		{"q=" + url.QueryEscape("DROP TABLE"), []string{"'; DROP TABLE tasks;--.png"}, 1},
		{"q=report&status=failed", nil, 0},
		{"sort=filename&order=asc&page_size=3", []string{"'; DROP TABLE tasks;--.png", "=HYPERLINK(\"http://evil\").png", "invoice_2026-03.pdf"}, 8},
		{"sort=duration&page_size=2", []string{"Überweisung März.pdf", "invoice_2026-03.pdf"}, 8},
		{"sort=status&order=asc&status=completed&page_size=1", []string{"invoice_2026-03.pdf"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.do(t, "GET", "/api/v1/history?"+tt.query, tok, nil, "")
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			var got listBody
			r.json(t, &got)
			if !slices.Equal(got.names(), tt.want) || got.Total != tt.total {
				t.Fatalf("got %q (total %d), want %q (total %d)", got.names(), got.Total, tt.want, tt.total)
			}
			if got.Items == nil || got.Page < 1 || got.PageSize < 1 {
				t.Fatalf("shape: %s", r.body)
			}
		})
	}
}

func TestHistoryBadInput(t *testing.T) {
	e := newHistoryEnv(t, true)
	tok, alice := e.signIn(t, "alice")
	_, bob := e.signIn(t, "bob")
	seedHistory(t, e, alice, bob)
	for _, query := range []string{
		"from=yesterday", "to=2026-13-01", "from=2026-02-30", "to=01/03/2026", "from=2026-03-05&to=2026-03-01",
		"from=2026-03-02T00:00:00Z&to=2026-03-01T23:00:00Z", "page=0", "page=-1", "page=abc", "page_size=0",
		"page_size=10000", "page_size=201", "sort=size", "sort=user_id", "order=sideways", "status=done",
		"q=" + strings.Repeat("a", 10<<10), "q=%FF%FE",
	} {
		t.Run(query, func(t *testing.T) {
			r := e.do(t, "GET", "/api/v1/history?"+query, tok, nil, "")
			if r.status != 422 || r.errCode(t) != "invalid_parameter" {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	if r := e.do(t, "GET", "/api/v1/history?page_size=200", tok, nil, ""); r.status != 200 {
		t.Fatalf("page_size=200: %d", r.status)
	}
}

// Search strings in bleve's query syntax, SQL-looking strings and the
// other user's names, ids and words: every answer is 200 and stays inside
// alice's tasks.
func TestHistorySearchNeverLeaks(t *testing.T) {
	e := newHistoryEnv(t, true)
	tok, alice := e.signIn(t, "alice")
	tokBob, bob := e.signIn(t, "bob")
	seedHistory(t, e, alice, bob)
	var bobTasks listBody
	e.do(t, "GET", "/api/v1/history", tokBob, nil, "").json(t, &bobTasks)
	if bobTasks.Total != 2 {
		t.Fatalf("bob has %d tasks", bobTasks.Total)
	}
	probes := []string{
		"+user_id:*", "user_id:" + bob, "user_id:" + alice + " OR user_id:" + bob, "*", "?", `"`, `\`, `\"`, "*:*",
		"task_id:" + bobTasks.Items[0].ID, bobTasks.Items[0].ID, "bob", "secret", "contract", "confidential", "merger",
		"zebra", "invoice_bob", "' OR '1'='1", "1; DROP TABLE users;--", "\" OR \"\"=\"", "%", "_", "/.*/",
		"[* TO *]", "{* TO *}", "invoice~", "inv*", "NOT invoice", "-invoice", "+confidential", "(zebra)",
		"\x00", "\u202e", "🙂", strings.Repeat("\\", 1000),
	}
	for _, p := range probes {
		r := e.do(t, "GET", "/api/v1/history?q="+url.QueryEscape(p), tok, nil, "")
		if r.status != 200 {
			t.Fatalf("q %q: %d %s", p, r.status, r.body)
		}
		var got listBody
		r.json(t, &got)
		if got.Total > 1 {
			t.Fatalf("q %q matched %d tasks: the search widened", p, got.Total)
		}
		for _, it := range got.Items {
			if strings.Contains(it.Filename, "bob") {
				t.Fatalf("q %q returned bob's task %q", p, it.Filename)
			}
		}
		// The same probe through export.
		body := fmt.Sprintf(`{"format":"csv","q":%q}`, p)
		if !json.Valid([]byte(body)) {
			continue
		}
		ex := e.do(t, "POST", "/api/v1/history/export", tok, strings.NewReader(body), "application/json")
		if ex.status != 200 || bytes.Contains(ex.body, []byte("bob")) {
			t.Fatalf("export q %q: %d %s", p, ex.status, ex.body)
		}
	}
	// bob's sorted task list does not include alice's either.
	var sorted listBody
	e.do(t, "GET", "/api/v1/tasks?sort=filename", tokBob, nil, "").json(t, &sorted)
	if sorted.Total != 2 || !slices.Equal(sorted.names(), []string{"invoice_bob.pdf", "bob-secret-contract.pdf"}) {
		t.Fatalf("bob's sorted list: %v (%d)", sorted.names(), sorted.Total)
	}
}

func TestHistoryStatsEndpoint(t *testing.T) {
	e := newHistoryEnv(t, true)
	tok, alice := e.signIn(t, "alice")
	tokBob, _ := e.signIn(t, "bob")
	// Uploads go through the task service, so its counters and the index
	// hear of them like in production.
	for range 3 {
		e.uploadOne(t, tok)
	}
	e.add(t, alice, "old.png", -5*24*hour, domain.StatusCompleted, 3000, "text")
	e.flush(t)
	var st domain.TaskStats
	r := e.do(t, "GET", "/api/v1/history/stats", tok, nil, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r.json(t, &st)
	today := time.Now().UTC().Format(time.DateOnly)
	if st.Total != 4 || st.ByStatus[domain.StatusPending] != 3 || st.ByStatus[domain.StatusCompleted] != 1 ||
		st.AvgDurationMS != 3000 || st.Bytes == 0 || len(st.PerDay) != 30 || st.PerDay[29].Date != today || st.PerDay[29].Count != 3 {
		t.Fatalf("stats %s", r.body)
	}
	var raw map[string]any
	r.json(t, &raw)
	for _, k := range []string{"total", "by_status", "pages", "bytes", "avg_duration_ms", "per_day"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("stats lacks %q", k)
		}
	}
	// tz: per_day in that offset's days (today there, with the uploads of
	// just now in it); a zone name is refused like in GET /history.
	var east domain.TaskStats
	e.do(t, "GET", "/api/v1/history/stats?tz=%2B14:00", tok, nil, "").json(t, &east)
	eastToday := time.Now().In(time.FixedZone("", 14*3600)).Format(time.DateOnly)
	if east.Total != 4 || len(east.PerDay) != 30 || east.PerDay[29].Date != eastToday || east.PerDay[29].Count != 3 {
		t.Fatalf("stats at +14:00: %+v", east)
	}
	if r := e.do(t, "GET", "/api/v1/history/stats?tz=Europe/Berlin", tok, nil, ""); r.status != 422 {
		t.Fatalf("tz=Europe/Berlin: %d %s", r.status, r.body)
	}
	// The uploads are searchable by name, and bob's stats are his own.
	var found listBody
	e.do(t, "GET", "/api/v1/history?q=scan", tok, nil, "").json(t, &found)
	if found.Total != 3 {
		t.Fatalf("uploaded tasks not in the history: %d", found.Total)
	}
	var bobStats domain.TaskStats
	e.do(t, "GET", "/api/v1/history/stats", tokBob, nil, "").json(t, &bobStats)
	if bobStats.Total != 0 || bobStats.Bytes != 0 || bobStats.PerDay[29].Count != 0 {
		t.Fatalf("bob's stats show alice's tasks: %+v", bobStats)
	}
	// Deleting through the API drops the task from counters and index.
	var list listBody
	e.do(t, "GET", "/api/v1/tasks", tok, nil, "").json(t, &list)
	if r := e.do(t, "DELETE", "/api/v1/tasks/"+list.Items[0].ID, tok, nil, ""); r.status != 204 {
		t.Fatalf("delete: %d", r.status)
	}
	e.flush(t)
	e.do(t, "GET", "/api/v1/history?q=scan", tok, nil, "").json(t, &found)
	e.do(t, "GET", "/api/v1/history/stats", tok, nil, "").json(t, &st)
	if found.Total != 2 || st.Total != 3 || st.PerDay[29].Count != 2 {
		t.Fatalf("after delete: %d found, %d total, today %d", found.Total, st.Total, st.PerDay[29].Count)
	}
}

func TestHistoryExportEndpoint(t *testing.T) {
	e := newHistoryEnv(t, true)
	tok, alice := e.signIn(t, "alice")
	_, bob := e.signIn(t, "bob")
	seedHistory(t, e, alice, bob)
	e.add(t, alice, "+SUM(1;2).png", 73*hour, domain.StatusFailed, 0, "")
	e.add(t, alice, "-10.png", 73*hour, domain.StatusFailed, 0, "")
	e.add(t, alice, "@cmd.png", 73*hour, domain.StatusFailed, 0, "")
	e.flush(t)

	r := e.do(t, "POST", "/api/v1/history/export", tok, strings.NewReader(`{"format":"csv"}`), "application/json")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	cd := r.header.Get("Content-Disposition")
	wantName := "ocrbox-history-" + time.Now().UTC().Format("20060102") + ".csv"
	if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, wantName) ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers %v", r.header)
	}
	body, ok := bytes.CutPrefix(r.body, []byte("\ufeff"))
	if !ok {
		t.Fatal("CSV without UTF-8 BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("not RFC 4180 CSV: %v", err)
	}
	wantHeader := []string{"id", "filename", "status", "engine", "lang", "pages_total", "pages_done", "created_at", "completed_at", "duration_ms", "error"}
	if !slices.Equal(rows[0], wantHeader) || len(rows) != 12 {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	names := map[string]bool{}
	for _, row := range rows[1:] {
		names[row[1]] = true
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("formula cell %q", cell)
			}
		}
		if _, err := time.Parse(time.RFC3339, row[7]); err != nil {
			t.Errorf("created_at %q", row[7])
		}
	}
	for _, n := range []string{"'=HYPERLINK(\"http://evil\").png", "'+SUM(1;2).png", "'-10.png", "'@cmd.png", "報告書.png", "Überweisung März.pdf"} {
		if !names[n] {
			t.Errorf("export lacks %q", n)
		}
	}
	if bytes.Contains(r.body, []byte("bob")) {
		t.Fatal("export holds bob's tasks")
	}

	// Filters, JSON.
	r = e.do(t, "POST", "/api/v1/history/export", tok,
		strings.NewReader(`{"format":"json","from":"2026-03-02","to":"2026-03-03","status":"completed","q":"stadtwerke"}`), "application/json")
	var items []domain.Task
	if r.status != 200 || json.Unmarshal(r.body, &items) != nil || len(items) != 1 || items[0].Filename != "Überweisung März.pdf" {
		t.Fatalf("json export: %d %s", r.status, r.body)
	}
	if !strings.Contains(r.header.Get("Content-Disposition"), ".json") {
		t.Fatalf("json filename: %s", r.header.Get("Content-Disposition"))
	}

	for _, bad := range []string{`{"format":"xlsx"}`, `{}`, `{"format":"csv","from":"nope"}`,
		`{"format":"csv","from":"2026-03-05","to":"2026-03-01"}`, `{"format":"csv","status":"done"}`, `not json`,
		`{"format":"csv","q":"` + strings.Repeat("x", 2000) + `"}`} {
		r := e.do(t, "POST", "/api/v1/history/export", tok, strings.NewReader(bad), "application/json")
		if r.status != 422 {
			t.Errorf("%.40s: %d %s", bad, r.status, r.body)
		}
	}
}

func TestHistoryDisabled(t *testing.T) {
	e := newHistoryEnv(t, false)
	tok, _ := e.signIn(t, "alice")
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v1/history", ""}, {"GET", "/api/v1/history/stats", ""}, {"POST", "/api/v1/history/export", `{"format":"csv"}`},
	} {
		r := e.do(t, c.method, c.path, tok, strings.NewReader(c.body), "application/json")
		if r.status != 404 || r.errCode(t) != "feature_disabled" {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.body)
		}
		if r := e.do(t, c.method, c.path, "", strings.NewReader(c.body), "application/json"); r.status != 401 {
			t.Errorf("%s %s without a session: %d", c.method, c.path, r.status)
		}
	}
	// Sorted task lists still work, from the store.
	e.uploadOne(t, tok)
	if r := e.do(t, "GET", "/api/v1/tasks?sort=filename", tok, nil, ""); r.status != 200 {
		t.Fatalf("sorted list without history: %d", r.status)
	}
}

func TestTasksListTotalsAndSorts(t *testing.T) {
	e := newHistoryEnv(t, true)
	tok, alice := e.signIn(t, "alice")
	_, bob := e.signIn(t, "bob")
	seedHistory(t, e, alice, bob)
	for _, tt := range []struct {
		query string
		first string
		total int
	}{
		{"", "late.png", 8},
		{"status=completed&page=2&page_size=2", "Überweisung März.pdf", 4},
		{"sort=filename&order=asc", "'; DROP TABLE tasks;--.png", 8},
		{"sort=duration&order=desc&status=completed", "Überweisung März.pdf", 4},
		{"sort=status&order=desc", "late.png", 8},
	} {
		var got listBody
		r := e.do(t, "GET", "/api/v1/tasks?"+tt.query, tok, nil, "")
		r.json(t, &got)
		if r.status != 200 || got.Total != tt.total || len(got.Items) == 0 || got.Items[0].Filename != tt.first {
			t.Errorf("%s: %d total %d, items %v", tt.query, r.status, got.Total, got.names())
		}
	}
}
