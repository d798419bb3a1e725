package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// records decodes the JSON log lines whose msg is msg.
func records(t *testing.T, logs *testenv.SyncBuffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, rec := range logs.JSONLines(t) {
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// anyoneSessions lets every token in as one user; the rest of Sessions is
// not called by these tests.
type anyoneSessions struct{ Sessions }

func (anyoneSessions) Authenticate(context.Context, string) (domain.User, error) {
	return domain.User{ID: "u1", Email: "a@example.org"}, nil
}
func (anyoneSessions) Valid(context.Context, string) bool { return true }

// buggyTasks panics where a real bug would: List with the value given,
// Watch by sending a nil task to the event stream.
type buggyTasks struct {
	Tasks
	panicWith any
}

func (b buggyTasks) List(context.Context, string, domain.ListQuery) ([]*domain.Task, int, error) {
	panic(b.panicWith)
}

func (buggyTasks) Watch(context.Context, string, string) (*domain.Task, <-chan *domain.Task, func(), error) {
	ch := make(chan *domain.Task, 1)
	ch <- nil // send(w, nil) dereferences it: a panic on fasthttp's stream goroutine
	return &domain.Task{ID: "t1", Status: domain.StatusProcessing}, ch, func() {}, nil
}

var _ Tasks = buggyTasks{}

type countingObserver struct {
	mu       sync.Mutex
	statuses []int
}

func (o *countingObserver) HTTPRequest(_, _ string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.statuses = append(o.statuses, status)
}

func newPanicApp(t *testing.T, panicWith any) (*testenv.SyncBuffer, *countingObserver, func(method, path string) (int, []byte)) {
	t.Helper()
	logs := &testenv.SyncBuffer{}
	obs := &countingObserver{}
	app := New(anyoneSessions{}, buggyTasks{panicWith: panicWith}, nil, nil, func(context.Context) error { return nil },
		Options{MaxUploadBytes: 1 << 20, ReadTimeout: time.Minute, CookieName: "ocrbox_session", Metrics: obs},
		slog.New(slog.NewJSONHandler(logs, nil)))
	do := func(method, path string) (int, []byte) {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Authorization", "Bearer x")
		res, err := app.Test(req, 5000)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, body
	}
	return logs, obs, do
}

// TestHandlerPanicIsOneFailedRequest: a panic in a handler (whatever its
// value, even an error that maps to 404) is a 500 internal_error with the
// request id, logged once with its stack, counted once, and the server
// goes on serving.
func TestHandlerPanicIsOneFailedRequest(t *testing.T) {
	for _, v := range []any{"boom", errors.New("boom"), domain.ErrNotFound, 42} {
		logs, obs, do := newPanicApp(t, v)
		status, body := do("GET", "/api/v1/tasks")
		if status != 500 {
			t.Fatalf("panic(%v): status %d, body %s", v, status, body)
		}
		var eb errorBody
		if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code != "internal_error" ||
			eb.Error.Message != "internal server error" || eb.Error.RequestID == "" {
			t.Fatalf("panic(%v): body %s", v, body)
		}
		panics := records(t, logs, "panic serving request")
		if len(panics) != 1 {
			t.Fatalf("panic(%v): %d panic records, want 1; log:\n%s", v, len(panics), logs)
		}
		if panics[0]["request_id"] != eb.Error.RequestID || !strings.Contains(panics[0]["stack"].(string), "buggyTasks.List") ||
			panics[0]["level"] != "ERROR" {
			t.Errorf("panic(%v): panic record %v", v, panics[0])
		}
		if n := len(records(t, logs, "request failed")); n != 0 {
			t.Errorf("panic(%v): logged again as request failed (%d)", v, n)
		}
		access := records(t, logs, "request")
		if len(access) != 1 || access[0]["status"] != 500.0 {
			t.Errorf("panic(%v): access log %v, want one line with status 500", v, access)
		}
		if len(obs.statuses) != 1 || obs.statuses[0] != 500 {
			t.Errorf("panic(%v): metrics saw %v, want [500]", v, obs.statuses)
		}
		if status, _ := do("GET", "/healthz"); status != 200 {
			t.Errorf("after the panic /healthz answers %d", status)
		}
	}
}

// TestStreamPanicEndsOnlyThatResponse: the event stream's writer runs on
// fasthttp's goroutine after the handler returned; a panic there ends the
// stream and is logged, and the process lives on.
func TestStreamPanicEndsOnlyThatResponse(t *testing.T) {
	logs, _, do := newPanicApp(t, nil)
	status, body := do("GET", "/api/v1/tasks/t1/events")
	if status != 200 || !strings.Contains(string(body), `"id":"t1"`) {
		t.Fatalf("events: %d %s", status, body)
	}
	recs := records(t, logs, "panic in response stream")
	if len(recs) != 1 || recs[0]["route"] != "/api/v1/tasks/:id/events" || recs[0]["request_id"] == "" ||
		!strings.Contains(recs[0]["stack"].(string), "taskEvents") {
		t.Fatalf("panic records %v; log:\n%s", recs, logs)
	}
	if status, _ := do("GET", "/healthz"); status != 200 {
		t.Errorf("after the stream panic /healthz answers %d", status)
	}
}

// TestGuardStreamPassesWrites: the guard is invisible when nothing panics.
func TestGuardStreamPassesWrites(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	app := New(anyoneSessions{}, buggyTasks{}, nil, nil, nil, Options{}, s.log)
	c := app.AcquireCtx(&fasthttp.RequestCtx{})
	defer app.ReleaseCtx(c)
	s.guardStream(c, func(w *bufio.Writer) { w.WriteString("data") })(w)
	w.Flush()
	if out.String() != "data" {
		t.Fatalf("wrote %q", out.String())
	}
}
