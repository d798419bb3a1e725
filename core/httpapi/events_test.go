package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
)

// TestEventStreamEndsWithItsSession: an open event stream, of one task or
// of all the user's tasks, stops within a second of its session ending
// (logout, or the account's sessions removed), while its task is still
// pending.
func TestEventStreamEndsWithItsSession(t *testing.T) {
	for _, stream := range []string{"task", "user"} {
		for _, end := range []string{"logout", "sessions removed"} {
			t.Run(stream+"/"+end, func(t *testing.T) { testStreamEndsWithSession(t, stream, end) })
		}
	}
}

func testStreamEndsWithSession(t *testing.T, stream, end string) {
	e := newEnv(t, 100)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.app.Listener(ln)
	t.Cleanup(func() { _ = e.app.ShutdownWithTimeout(time.Second) })
	tok := e.login(t, "alice")
	task := e.uploadOne(t, tok)
	path, first := "/api/v1/tasks/"+task.ID+"/events", "event: task"
	if stream == "user" {
		path, first = "/api/v1/events", "event: ready"
	}
	ended := make(chan time.Time, 1)
	firstEvent := make(chan struct{})
	go func() {
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "text/event-stream")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			ended <- time.Now()
			return
		}
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), first) {
				select {
				case <-firstEvent:
				default:
					close(firstEvent)
				}
			}
		}
		res.Body.Close()
		ended <- time.Now()
	}()
	select {
	case <-firstEvent:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream sent no first event")
	}
	// The stream stays open while the session lives.
	select {
	case <-ended:
		t.Fatal("the stream ended while its session was alive and its task pending")
	case <-time.After(800 * time.Millisecond):
	}
	stopped := time.Now()
	switch end {
	case "logout":
		if r := e.do(t, "POST", "/api/v1/auth/logout", tok, nil, ""); r.status != 204 {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
	default:
		u, err := e.store.GetUserByEmail(context.Background(), "alice@example.org")
		if err != nil {
			t.Fatal(err)
		}
		boltstoretest.DeleteUserSessions(t, e.store, u.ID)
	}
	select {
	case at := <-ended:
		if took := at.Sub(stopped); took > 1500*time.Millisecond {
			t.Fatalf("the stream ended %s after the session did, want within a second", took)
		} else {
			t.Logf("stream ended %s after the session", took.Round(time.Millisecond))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream kept going 5 s after its session ended")
	}
}

// sse is an open GET /api/v1/events read event by event.
type sse struct {
	res    *http.Response
	events chan sseEvent
}

type sseEvent struct {
	id, name, data string
}

// openUserEvents opens the caller's event stream on a real listener,
// resuming after lastID when it is not "".
func openUserEvents(t *testing.T, base, tok, lastID string) *sse {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /api/v1/events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &sse{res: res, events: make(chan sseEvent, 100)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			k, v, _ := strings.Cut(line, ": ")
			switch {
			case line == "":
				if ev.name != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case k == "id":
				ev.id = v
			case k == "event":
				ev.name = v
			case k == "data":
				ev.data = v
			}
		}
	}()
	return s
}

// next returns the next event; it fails the test after 5 s.
func (s *sse) next(t *testing.T) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
		return sseEvent{}
	}
}

// quiet checks that no event comes for a while.
func (s *sse) quiet(t *testing.T) {
	t.Helper()
	select {
	case ev := <-s.events:
		t.Fatalf("unexpected event %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}
}

// about is "name:task id:status" of an event.
func (ev sseEvent) about(t *testing.T) string {
	t.Helper()
	var body struct{ ID, Status string }
	if err := json.Unmarshal([]byte(ev.data), &body); err != nil {
		t.Fatalf("event %s data %q: %v", ev.name, ev.data, err)
	}
	return ev.name + ":" + body.ID + ":" + body.Status
}

// TestUserEventStream: GET /api/v1/events carries every change to the
// caller's tasks and nobody else's, and a reconnection with Last-Event-ID
// gets exactly the events it missed.
func TestUserEventStream(t *testing.T) {
	e := newEnv(t, 100)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.app.Listener(ln)
	t.Cleanup(func() { _ = e.app.ShutdownWithTimeout(time.Second) })
	base := "http://" + ln.Addr().String()
	alice, bob := e.login(t, "alice"), e.login(t, "bob")

	as, bs := openUserEvents(t, base, alice, ""), openUserEvents(t, base, bob, "")
	if ev := as.next(t); ev.name != "ready" || ev.id == "" {
		t.Fatalf("first event %+v, want ready with an id", ev)
	}
	if ev := bs.next(t); ev.name != "ready" {
		t.Fatalf("bob's first event %+v, want ready", ev)
	}

	a1 := e.uploadOne(t, alice)
	b1 := e.uploadOne(t, bob)
	if got, want := as.next(t).about(t), "task:"+a1.ID+":pending"; got != want {
		t.Errorf("alice got %s, want %s", got, want)
	}
	seen := bs.next(t)
	if got, want := seen.about(t), "task:"+b1.ID+":pending"; got != want {
		t.Errorf("bob got %s, want %s", got, want)
	}
	if r := e.do(t, "POST", "/api/v1/tasks/"+a1.ID+"/cancel", alice, nil, ""); r.status != 202 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if got, want := as.next(t).about(t), "task:"+a1.ID+":cancelled"; got != want {
		t.Errorf("alice got %s, want %s", got, want)
	}
	if r := e.do(t, "DELETE", "/api/v1/tasks/"+a1.ID, alice, nil, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if got, want := as.next(t).about(t), "deleted:"+a1.ID+":"; got != want {
		t.Errorf("alice got %s, want %s", got, want)
	}
	bs.quiet(t) // nothing of alice's reached bob

	// Bob goes away; what happens meanwhile comes back when he resumes.
	bs.res.Body.Close()
	b2 := e.uploadOne(t, bob)
	if r := e.do(t, "DELETE", "/api/v1/tasks/"+b1.ID, bob, nil, ""); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	e.uploadOne(t, alice)
	resumed := openUserEvents(t, base, bob, seen.id)
	for _, want := range []string{"task:" + b2.ID + ":pending", "deleted:" + b1.ID + ":"} {
		if got := resumed.next(t).about(t); got != want {
			t.Errorf("bob resumed with %s, want %s", got, want)
		}
	}
	resumed.quiet(t)

	// An id the server cannot replay from: a reset, then live events.
	stale := openUserEvents(t, base, bob, "12")
	if ev := stale.next(t); ev.name != "reset" || !strings.Contains(ev.data, "resume_unavailable") {
		t.Errorf("resuming from an unknown id: %+v, want a reset", ev)
	}
}

// TestUserEventStreamRefusals: the stream is only for a signed-in caller
// that asks for an event stream; the refusals are JSON errors, at once.
func TestUserEventStreamRefusals(t *testing.T) {
	e := newEnv(t, 100)
	tok := e.login(t, "alice")
	for _, tc := range []struct {
		name, token, accept string
		status              int
	}{
		{"anonymous", "", "text/event-stream", 401},
		{"no Accept", tok, "", 406},
		{"Accept JSON", tok, "application/json", 406},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "/api/v1/events", nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			res, err := e.app.Test(req, 5_000)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tc.status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Errorf("%d %s, want %d JSON", res.StatusCode, res.Header.Get("Content-Type"), tc.status)
			}
		})
	}
}

// TestUserEventStreamEndsAtShutdown: an open stream does not hold up the
// server's graceful shutdown (every open tab holds one); the client then
// reconnects to the next server.
func TestUserEventStreamEndsAtShutdown(t *testing.T) {
	e := newEnv(t, 100)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.app.Listener(ln)
	st := openUserEvents(t, "http://"+ln.Addr().String(), e.login(t, "alice"), "")
	st.next(t)
	start := time.Now()
	if err := e.app.ShutdownWithTimeout(10 * time.Second); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("shutdown took %s with a stream open, want at once", took)
	}
	select {
	case _, open := <-st.events:
		if open {
			t.Error("an event after shutdown")
		}
	case <-time.After(5 * time.Second):
		t.Error("the stream still open 5 s after shutdown")
	}
}
