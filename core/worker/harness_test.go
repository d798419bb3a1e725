package worker_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/engines"
	"github.com/ocrbox/ocrbox/core/pagehelper"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/core/worker"
	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/storage/filestore/filestoretest"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// harness is ocrbox's task pipeline as app.Serve wires it, on a real bbolt
// file and file tree in a temporary directory, with real engine processes.
type harness struct {
	store  *boltstore.Store
	files  *filestore.Store
	pool   *engines.Pool
	broker *tasks.Broker
	svc    *tasks.Service
	wk     *worker.Worker
	user   domain.User
	// dir is the test engines' "dir" setting, where they leave markers.
	dir string
	// scratch is the worker's page scratch directory.
	scratch string
	opts    worker.Options
	logs    *testenv.SyncBuffer
	log     *slog.Logger
}

// setup says what a harness runs.
type setup struct {
	engines   []string // plugin names served by TestMain; the first is the default
	processes int      // per engine; default 1
	opts      worker.Options
	// helperFault makes the page helper misbehave: "MODE PAGE EXT" (see
	// helperFaultKey); the harness adds the marker directory.
	helperFault string
}

func newHarness(t *testing.T, s setup) *harness {
	t.Helper()
	ctx := context.Background()
	data := t.TempDir()
	h := &harness{dir: filepath.Join(data, "engine"), logs: &testenv.SyncBuffer{}}
	h.log = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", h.logs.String())
		}
	})
	if err := os.Mkdir(h.dir, 0o700); err != nil {
		t.Fatal(err)
	}

	// The data directory is laid out as the server's.
	store := boltstoretest.Open(t, filepath.Join(data, "ocrbox.db"))
	h.store = store
	h.files = filestoretest.Open(t, filepath.Join(data, "files"))
	h.user = boltstoretest.User(t, store, "ada@example.org")

	var cfgs []engines.Config
	for _, name := range s.engines {
		settings := map[string]string{"dir": h.dir}
		if name == "tesseract" {
			settings = nil
		}
		cfgs = append(cfgs, engines.Config{Processes: s.processes,
			Spec: host.Spec{Name: name, Kind: sdk.KindEngine, Settings: settings}})
	}
	var err error
	h.pool, err = engines.Start(ctx, cfgs, h.log)
	if err != nil {
		testenv.RequireOrSkip(t, "start engines %v: %v", s.engines, err)
	}
	t.Cleanup(h.pool.Close)

	h.opts = s.opts
	h.opts.NewID = boltstore.NewID
	h.scratch = filepath.Join(data, "scratch")
	h.opts.ScratchDir = h.scratch
	if s.helperFault != "" {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		h.opts.Extractor, err = pagehelper.New(pagehelper.Options{Command: []string{self, pagehelper.Subcommand},
			Timeout: h.opts.PageTimeout, Env: []string{helperFaultKey + "=" + s.helperFault + " " + h.dir}}, h.log)
		if err != nil {
			t.Fatal(err)
		}
	}
	h.broker = tasks.NewBroker()
	h.svc = tasks.NewService(store, h.files, h.pool, nil, h.broker, pages.Sniff, inspector, boltstore.NewID,
		tasks.Options{DefaultEngine: s.engines[0], DefaultLang: "eng",
			DefaultOutputs: []domain.FileKind{domain.KindTxt, domain.KindJSON}, MaxUploadBytes: 64 << 20})
	h.newWorker()
	return h
}

// newWorker replaces the worker, as a restarted server would build it.
func (h *harness) newWorker() {
	h.wk = worker.New(h.store, h.files, h.pool, h.broker, h.opts, h.log)
	h.svc.SetRunner(h.wk)
}

// inspector is app.Serve's: page count and limits from headers.
func inspector(ctx context.Context, path, contentType string) (int, error) {
	doc, err := pages.Open(ctx, path, contentType, pages.Limits{})
	if err != nil {
		return 0, err
	}
	defer doc.Close()
	return doc.PageCount(), nil
}

// run starts the worker's Run loop; the returned stop cancels it and waits
// for Run to return (it also runs at cleanup).
func (h *harness) run(t *testing.T) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	wk := h.wk
	go func() { done <- wk.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("Run did not return 30s after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// submit uploads data through the task service, as the HTTP handler does.
func (h *harness) submit(t *testing.T, filename, engine, outputs string, data []byte) *domain.Task {
	t.Helper()
	ctx := context.Background()
	p, err := h.svc.ParseParams(ctx, engine, "eng", outputs)
	if err != nil {
		t.Fatalf("ParseParams(%s, %s): %v", engine, outputs, err)
	}
	task, err := h.svc.Create(ctx, h.user.ID, p, tasks.Upload{Filename: filename, Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("Create(%s): %v", filename, err)
	}
	return task
}

// get reads the task from the store.
func (h *harness) get(t *testing.T, id string) *domain.Task {
	t.Helper()
	task, err := h.store.GetTask(context.Background(), h.user.ID, id)
	if err != nil {
		t.Fatalf("GetTask: %v", err)
	}
	return task
}

// waitFor polls the stored task until cond holds, failing after timeout.
func (h *harness) waitFor(t *testing.T, id string, timeout time.Duration, what string, cond func(*domain.Task) bool) *domain.Task {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		task := h.get(t, id)
		if cond(task) {
			return task
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s: not %s after %s: status %s, pages %d/%d, error %q",
				task.Filename, what, timeout, task.Status, task.PagesDone, task.PagesTotal, task.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitTerminal waits until the task is completed, failed or cancelled.
func (h *harness) waitTerminal(t *testing.T, id string, timeout time.Duration) *domain.Task {
	t.Helper()
	return h.waitFor(t, id, timeout, "finished", func(x *domain.Task) bool { return x.Status.Terminal() })
}

// wantStatus fails unless the task is in status want.
func wantStatus(t *testing.T, task *domain.Task, want domain.TaskStatus) {
	t.Helper()
	if task.Status != want {
		t.Fatalf("task %s: status %s (error %q), want %s", task.Filename, task.Status, task.Error, want)
	}
}

// wantNoScratch fails when page files are left in the scratch directory.
func (h *harness) wantNoScratch(t *testing.T) {
	t.Helper()
	left, err := os.ReadDir(h.scratch)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("%d page files left in the scratch directory, e.g. %s", len(left), left[0].Name())
	}
}

// taskFiles lists the names in the task's directory.
func (h *harness) taskFiles(t *testing.T, task *domain.Task) []string {
	t.Helper()
	names, err := h.files.List(context.Background(), task.UserID, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// readOutput reads one of the task's files by its record: the record must
// name a stored file of the task.
func (h *harness) readOutput(t *testing.T, task *domain.Task, f domain.File) []byte {
	t.Helper()
	if _, ok := task.FileByID(f.ID); !ok {
		t.Fatalf("task %s has no file %s", task.ID, f.ID)
	}
	fh, err := h.files.Open(context.Background(), task.UserID, task.ID, f.StoredName)
	if err != nil {
		t.Fatalf("open %s: %v", f.Name, err)
	}
	defer fh.Close()
	b, err := io.ReadAll(fh)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// processes returns an engine's n processes: it acquires all of them, so
// none is in use, and releases them at once.
func (h *harness) processes(t *testing.T, engine string, n int) []*host.Process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var procs []*host.Process
	for range n {
		p, err := h.pool.Acquire(ctx, engine)
		if err != nil {
			t.Fatalf("Acquire(%s): %v", engine, err)
		}
		procs = append(procs, p)
	}
	for _, p := range procs {
		h.pool.Release(engine, p)
	}
	return procs
}

// restarts sums the restarts of an engine's n processes.
func (h *harness) restarts(t *testing.T, engine string, n int) int {
	t.Helper()
	total := 0
	for _, p := range h.processes(t, engine, n) {
		total += p.Restarts()
	}
	return total
}
