package tasks_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/storage/filestore/filestoretest"
)

// engineSet validates uploads the way the engine pool does, from a fixed
// list: the pool itself runs real plugin processes and is exercised by the
// worker tests.
type engineSet map[string]struct{ langs, outputs []string }

var testEngines = engineSet{
	"tesseract": {langs: []string{"eng", "deu"}, outputs: []string{"txt", "hocr", "json", "pdf"}},
	"textonly":  {langs: []string{"eng"}, outputs: []string{"txt"}},
}

func (e engineSet) Validate(_ context.Context, engine, lang string, outputs []domain.FileKind) error {
	info, ok := e[engine]
	if !ok {
		return domain.Errorf(domain.ErrInvalid, domain.CodeUnknownEngine, "unknown engine %q", engine)
	}
	for _, l := range strings.Split(lang, "+") {
		if !slices.Contains(info.langs, l) {
			return domain.Errorf(domain.ErrInvalid, domain.CodeUnsupportedLanguage, "engine %q has no language %q", engine, l)
		}
	}
	for _, o := range outputs {
		if !slices.Contains(info.outputs, string(o)) {
			return domain.Errorf(domain.ErrInvalid, domain.CodeUnsupportedOutput, "engine %q cannot produce %q", engine, o)
		}
	}
	return nil
}

// runner records what the service asks of the worker.
type runner struct {
	mu        sync.Mutex
	kicks     int
	cancelled []string
}

func (r *runner) Kick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kicks++
}

func (r *runner) Cancel(taskID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cancelled = append(r.cancelled, taskID)
}

// QueuePosition: every pending task is third in line, so tests can see
// the service fill it in.
func (r *runner) QueuePosition(context.Context, string) int { return 3 }

func (r *runner) state() (kicks int, cancelled []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kicks, slices.Clone(r.cancelled)
}

// fixture is the task service on a real bbolt file and file tree.
type fixture struct {
	svc      *tasks.Service
	store    *boltstore.Store
	files    *filestore.Store
	filesDir string
	broker   *tasks.Broker
	runner   *runner
	alice    domain.User
	bob      domain.User
}

// limits are the page limits the fixture's inspector enforces.
var limits = pages.Limits{MaxPages: 3}

func newFixture(t *testing.T, opts tasks.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store := boltstoretest.New(t)
	var err error
	f := &fixture{store: store, filesDir: filepath.Join(dir, "files"), broker: tasks.NewBroker(), runner: &runner{}}
	f.files = filestoretest.Open(t, f.filesDir)
	for _, u := range []*domain.User{&f.alice, &f.bob} {
		name := "alice"
		if u == &f.bob {
			name = "bob"
		}
		if *u, err = store.UpsertUser(ctx, domain.User{Email: name + "@example.org", Name: name, Provider: "local"}); err != nil {
			t.Fatal(err)
		}
	}
	if opts.DefaultEngine == "" {
		opts.DefaultEngine, opts.DefaultLang = "tesseract", "eng"
		opts.DefaultOutputs = []domain.FileKind{domain.KindTxt, domain.KindJSON}
	}
	if opts.MaxUploadBytes == 0 {
		opts.MaxUploadBytes = 8 << 20
	}
	inspect := func(ctx context.Context, path, contentType string) (int, error) {
		doc, err := pages.Open(ctx, path, contentType, limits)
		if err != nil {
			return 0, err
		}
		defer doc.Close()
		return doc.PageCount(), nil
	}
	f.svc = tasks.NewService(store, f.files, testEngines, f.runner, f.broker, pages.Sniff, inspect, boltstore.NewID, opts)
	return f
}

// upload creates a task of user from data with the default parameters.
func (f *fixture) upload(t *testing.T, user domain.User, filename string, data []byte) *domain.Task {
	t.Helper()
	ctx := context.Background()
	p, err := f.svc.ParseParams(ctx, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	task, err := f.svc.Create(ctx, user.ID, p, tasks.Upload{Filename: filename, Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("Create(%s): %v", filename, err)
	}
	return task
}

// setStatus moves a task to status as the worker would, with a result file
// on disk and in the record when the status implies one.
func (f *fixture) setStatus(t *testing.T, task *domain.Task, status domain.TaskStatus) *domain.Task {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var results []domain.File
	if status != domain.StatusPending {
		for _, name := range []string{"page-0001.json", "result.txt"} {
			if err := f.files.MakeTaskDir(ctx, task.UserID, task.ID); err != nil {
				t.Fatal(err)
			}
			if err := f.files.WriteFileAtomic(ctx, task.UserID, task.ID, name, []byte("x")); err != nil {
				t.Fatal(err)
			}
		}
		results = append(results, domain.File{ID: boltstore.NewID(), Kind: domain.KindTxt, Name: "r.txt",
			StoredName: "result.txt", Size: 1, ContentType: "text/plain; charset=utf-8", CreatedAt: now})
	}
	out, err := f.store.UpdateTask(ctx, task.UserID, task.ID, func(x *domain.Task) error {
		x.Status = status
		if status != domain.StatusPending {
			x.StartedAt, x.PagesDone, x.Attempts = &now, 1, 1
		}
		if status.Terminal() {
			x.CompletedAt, x.DurationMS = &now, 5
			x.Files = append(x.Files, results...)
		}
		if status == domain.StatusFailed {
			x.Error, x.Retryable = "it broke", true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// taskDirs lists every <user>/<task> directory of the file tree.
func (f *fixture) taskDirs(t *testing.T) []string {
	t.Helper()
	var dirs []string
	users, err := os.ReadDir(f.filesDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		ts, err := os.ReadDir(filepath.Join(f.filesDir, u.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ts {
			dirs = append(dirs, u.Name()+"/"+x.Name())
		}
	}
	return dirs
}

// wantNothingLeft fails when a refused upload left anything of alice's
// behind: a task record or a task directory.
func (f *fixture) wantNothingLeft(t *testing.T) {
	t.Helper()
	if n, err := f.store.CountTasks(context.Background(), f.alice.ID); err != nil || n != 0 {
		t.Errorf("refused upload left %d tasks (%v)", n, err)
	}
	if dirs := f.taskDirs(t); len(dirs) != 0 {
		t.Errorf("refused upload left %v on disk", dirs)
	}
}

// wantDomainError fails unless err is a *domain.Error of kind and code.
func wantDomainError(t *testing.T, err error, kind error, code string) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || !errors.Is(err, kind) || (code != "" && de.Code != code) {
		t.Fatalf("err = %v (%T), want a domain error %v with code %q", err, err, kind, code)
	}
	return de
}

// pngBytes is a valid w x h gray PNG.
func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.SetGray(0, 0, color.Gray{Y: 3})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// errReader yields data, then fails.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// raceUploads starts n uploads of png by alice at once and returns how many
// were accepted; every refusal must be ErrQuota.
func (f *fixture) raceUploads(t *testing.T, n int, png []byte) (accepted int) {
	t.Helper()
	ctx := context.Background()
	p, err := f.svc.ParseParams(ctx, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, n)
	var start sync.WaitGroup
	start.Add(1)
	for range n {
		go func() {
			start.Wait()
			_, err := f.svc.Create(ctx, f.alice.ID, p, tasks.Upload{Filename: "x.png", Body: bytes.NewReader(png)})
			errs <- err
		}()
	}
	start.Done()
	for range n {
		switch err := <-errs; {
		case err == nil:
			accepted++
		case !errors.Is(err, domain.ErrQuota):
			t.Errorf("unexpected error %v", err)
		}
	}
	return accepted
}
