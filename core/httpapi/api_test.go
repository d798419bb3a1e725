package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/downloads"
	"github.com/ocrbox/ocrbox/core/httpapi"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/core/sessions"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/core/tokenvault"
	"github.com/ocrbox/ocrbox/plugins/localauth"
	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/storage/filestore/filestoretest"
)

// engines stands in for the engine pool: the HTTP layer only needs the
// list and the upload validation. The real pool runs in the integration tests.
type engines struct{}

func (engines) Infos(context.Context) []*sdk.EngineInfo {
	return []*sdk.EngineInfo{{Name: "tesseract", Version: "5", Languages: []string{"eng", "deu"}, Outputs: []string{"txt", "hocr", "json", "pdf"}}}
}

func (engines) Validate(_ context.Context, engine, lang string, _ []domain.FileKind) error {
	if engine != "tesseract" {
		return domain.Errorf(domain.ErrInvalid, domain.CodeUnknownEngine, "unknown engine %q", engine)
	}
	for _, l := range strings.Split(lang, "+") {
		if l != "eng" && l != "deu" {
			return domain.Errorf(domain.ErrInvalid, domain.CodeUnsupportedLanguage, "no language %q", l)
		}
	}
	return nil
}

// idleRunner is a worker that never picks anything up, so tasks stay
// pending and lifecycle transitions are deterministic.
type idleRunner struct{}

func (idleRunner) Kick()                                     {}
func (idleRunner) Cancel(string)                             {}
func (idleRunner) QueuePosition(context.Context, string) int { return 0 }

// localProvider runs the real local auth provider in-process.
type localProvider struct{ p *localauth.Provider }

func (l localProvider) Name() string                                   { return "local" }
func (l localProvider) Auth(context.Context) (sdk.AuthProvider, error) { return l.p, nil }

type env struct {
	app   *fiber.App
	dir   string
	store *boltstore.Store
}

// newBackend opens a real bbolt store and file tree in dir and a local
// provider with the users alice and bob (password "password-<name>").
func newBackend(t *testing.T, dir string) (*boltstore.Store, *filestore.Store, *localauth.Provider) {
	t.Helper()
	ctx := context.Background()
	store := boltstoretest.Open(t, filepath.Join(dir, "ocrbox.db"))
	files := filestoretest.Open(t, filepath.Join(dir, "files"))
	usersFile := filepath.Join(dir, "users.json")
	uf := localauth.OpenUserFile(usersFile)
	for _, u := range []string{"alice", "bob"} {
		if err := uf.Add(ctx, u+"@example.org", strings.ToUpper(u[:1])+u[1:], "password-"+u); err != nil {
			t.Fatal(err)
		}
	}
	prov := localauth.New()
	if err := prov.Configure(ctx, map[string]string{"users_file": usersFile}); err != nil {
		t.Fatal(err)
	}
	return store, files, prov
}

// inspectPages is the upload-time page check serve uses, with small limits.
func inspectPages(ctx context.Context, path, ct string) (int, error) {
	d, err := pages.Open(ctx, path, ct, pages.Limits{MaxPages: 10, MaxMegapixels: 50, PDFDPI: 150})
	if err != nil {
		return 0, err
	}
	defer d.Close()
	return d.PageCount(), nil
}

// newSessions is the real session service over store with prov.
func newSessions(t *testing.T, store *boltstore.Store, prov *localauth.Provider, rate int, log *slog.Logger) *sessions.Service {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	vault, err := tokenvault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return sessions.NewService(store, vault, []sessions.Provider{localProvider{prov}},
		sessions.Options{IdleTimeout: time.Hour, Lifetime: 24 * time.Hour, LoginRatePerMinute: rate}, log)
}

func newEnv(t *testing.T, rate int) *env {
	t.Helper()
	return newEnvWith(t, rate, func(*tasks.Options) {})
}

// newEnvWith is newEnv with the task options adjusted by set.
func newEnvWith(t *testing.T, rate int, set func(*tasks.Options)) *env {
	t.Helper()
	dir := t.TempDir()
	store, files, prov := newBackend(t, dir)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := tasks.Options{DefaultEngine: "tesseract", DefaultLang: "eng", DefaultOutputs: []domain.FileKind{domain.KindTxt},
		MaxUploadBytes: 1 << 20, MaxTasksPerUser: 3}
	set(&opts)
	svc := tasks.NewService(store, files, engines{}, idleRunner{}, tasks.NewBroker(), pages.Sniff, inspectPages, boltstore.NewID, opts)
	sess := newSessions(t, store, prov, rate, log)
	ui := fstest.MapFS{"index.html": {Data: []byte("<html>ocrbox ui</html>")}, "app.js": {Data: []byte("1")},
		"assets/index-abc123.js": {Data: []byte("2")}}
	app := httpapi.New(sess, svc, downloads.NewService(store, files, log), engines{}, func(context.Context) error { return nil }, httpapi.Options{
		MaxUploadBytes: 1 << 20, MaxFilesPerUpload: 3, ReadTimeout: time.Minute, CookieName: "ocrbox_session",
		SessionLifetime: time.Hour, UI: ui}, log)
	return &env{app: app, dir: dir, store: store}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r resp) errCode(t *testing.T) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message, RequestID string } `json:"error"`
	}
	r.json(t, &e)
	if e.Error.Message == "" {
		t.Fatalf("error body without message: %s", r.body)
	}
	return e.Error.Code
}

func (e *env) do(t *testing.T, method, path, token string, body io.Reader, contentType string) resp {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.app.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func (e *env) login(t *testing.T, user string) string {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/auth/login", "", strings.NewReader(`{"username":"`+user+`@example.org","password":"password-`+user+`"}`), "application/json")
	if r.status != 200 {
		t.Fatalf("login %s: %d %s", user, r.status, r.body)
	}
	var tok sessions.Tokens
	r.json(t, &tok)
	return tok.AccessToken
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 40, 20))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func multipartBody(t *testing.T, fields map[string]string, files map[string][]byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	for name, data := range files {
		fw, err := w.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

func (e *env) upload(t *testing.T, token string, fields map[string]string, files map[string][]byte) resp {
	t.Helper()
	body, ct := multipartBody(t, fields, files)
	return e.do(t, "POST", "/api/v1/tasks", token, body, ct)
}

func (e *env) uploadOne(t *testing.T, token string) *domain.Task {
	t.Helper()
	r := e.upload(t, token, nil, map[string][]byte{"scan.png": pngBytes(t)})
	if r.status != 202 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var out struct{ Tasks []*domain.Task }
	r.json(t, &out)
	return out.Tasks[0]
}
