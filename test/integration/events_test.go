package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	ID   string
	Name string
	Data string
}

// sseStream is an open GET /tasks/{id}/events or GET /events.
type sseStream struct {
	resp   *http.Response
	events chan sseEvent
	// done is closed when the body ended; err says how.
	done chan struct{}
	err  error
}

// openEvents opens the task's event stream; the stream is closed when the
// test ends.
func openEvents(t *testing.T, c *client, taskID string) *sseStream {
	t.Helper()
	return openStream(t, c, "/tasks/"+taskID+"/events", "")
}

// openUserEvents opens the user's stream of all their tasks, resuming
// after lastID when it is not ""; the stream is closed when the test ends.
func openUserEvents(t *testing.T, c *client, lastID string) *sseStream {
	t.Helper()
	return openStream(t, c, "/events", lastID)
}

func openStream(t *testing.T, c *client, path, lastID string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatalf("GET events: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET events: status %d: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("GET events: Content-Type %q, want text/event-stream", ct)
	}
	st := &sseStream{resp: resp, events: make(chan sseEvent, 1000), done: make(chan struct{})}
	go st.read()
	return st
}

// read parses the stream: "event:" and "data:" lines, a blank line ends an
// event, lines starting with ':' are comments.
func (s *sseStream) read() {
	defer close(s.done)
	sc := bufio.NewScanner(s.resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var ev sseEvent
	var data []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.Name != "" || len(data) > 0 {
				ev.Data = strings.Join(data, "\n")
				s.events <- ev
			}
			ev, data = sseEvent{}, nil
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id:"):
			ev.ID = strings.TrimSpace(strings.TrimPrefix(line, "id:"))
		case strings.HasPrefix(line, "event:"):
			ev.Name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
		}
	}
	s.err = sc.Err()
}

// next returns the next event, or ok=false when the stream ended; it fails
// the test after timeout.
func (s *sseStream) next(t *testing.T, timeout time.Duration) (sseEvent, bool) {
	t.Helper()
	select {
	case ev := <-s.events:
		return ev, true
	default:
	}
	select {
	case ev := <-s.events:
		return ev, true
	case <-s.done:
		select {
		case ev := <-s.events:
			return ev, true
		default:
			return sseEvent{}, false
		}
	case <-time.After(timeout):
		t.Fatalf("no event and no end of stream within %s", timeout)
		return sseEvent{}, false
	}
}

var statusRank = map[string]int{"pending": 0, "processing": 1, "completed": 2}

// collectTaskEvents reads `task` events until a terminal one, then expects
// the stream to end promptly.
func collectTaskEvents(t *testing.T, st *sseStream) []task {
	t.Helper()
	var out []task
	for {
		ev, ok := st.next(t, 3*time.Minute)
		if !ok {
			t.Fatalf("stream ended before a terminal state (after %d events, read error %v)", len(out), st.err)
		}
		if ev.Name != "task" {
			t.Errorf("event name %q, want task (data %q)", ev.Name, truncate(ev.Data, 200))
			continue
		}
		var tk task
		if err := json.Unmarshal([]byte(ev.Data), &tk); err != nil {
			t.Fatalf("event data is not a task: %v: %q", err, truncate(ev.Data, 300))
		}
		out = append(out, tk)
		if tk.terminal() {
			break
		}
	}
	if ev, ok := st.next(t, 10*time.Second); ok {
		t.Errorf("event after the terminal state: %s %q", ev.Name, truncate(ev.Data, 200))
	} else if st.err != nil && !errors.Is(st.err, io.EOF) { // err is safe to read once done is closed
		t.Errorf("stream ended with error %v, want a clean end", st.err)
	}
	return out
}

// TestEvents watches a four-page task over Server-Sent Events: statuses in
// lifecycle order, page progress that only grows and reaches the total,
// and a stream that closes after completed.
func TestEvents(t *testing.T) {
	s := sharedServer(t)
	c, _ := newUser(t, s, "sse", "Sse")

	tk := c.upload(t, [][2]string{{"outputs", "txt"}}, corpusUpload(t, "multipage/four-pages.tif"))[0]
	st := openEvents(t, c, tk.ID)
	evs := collectTaskEvents(t, st)

	var trace []string
	for _, e := range evs {
		trace = append(trace, fmt.Sprintf("%s %d/%d", e.Status, e.PagesDone, e.PagesTotal))
	}
	t.Logf("events: %s", strings.Join(trace, " → "))

	if first := evs[0].Status; first != "pending" && first != "processing" {
		t.Errorf("first event status %q, want pending or processing", first)
	}
	last := evs[len(evs)-1]
	if last.Status != "completed" || last.PagesTotal != 4 || last.PagesDone != 4 {
		t.Errorf("last event: %s %d/%d, want completed 4/4", last.Status, last.PagesDone, last.PagesTotal)
	}
	progress := false
	for i, e := range evs {
		if e.ID != tk.ID {
			t.Errorf("event %d is about task %q, want %q", i, e.ID, tk.ID)
		}
		rank, known := statusRank[e.Status]
		if !known {
			t.Errorf("event %d: unexpected status %q", i, e.Status)
		}
		if i > 0 {
			prev := evs[i-1]
			if rank < statusRank[prev.Status] {
				t.Errorf("event %d: status went back from %s to %s", i, prev.Status, e.Status)
			}
			if e.PagesDone < prev.PagesDone {
				t.Errorf("event %d: pages_done went back from %d to %d", i, prev.PagesDone, e.PagesDone)
			}
		}
		if e.Status == "processing" && e.PagesDone > 0 && e.PagesDone < 4 {
			progress = true
		}
	}
	if !progress {
		t.Errorf("no processing event with 0 < pages_done < 4: progress is not reported page by page (%s)",
			strings.Join(trace, " → "))
	}

	// A stream opened on a finished task sends its state once and ends.
	st2 := openEvents(t, c, tk.ID)
	evs2 := collectTaskEvents(t, st2)
	if len(evs2) != 1 || evs2[0].Status != "completed" {
		t.Errorf("events of a completed task: %d events, first %+v; want exactly one, completed", len(evs2), evs2[0])
	}
}

// userEvent is one event of GET /events with its task (or deleted id) decoded.
type userEvent struct {
	sseEvent
	Task task
}

// nextUserEvent reads the next event of a user stream; ok=false when the
// stream ended.
func nextUserEvent(t *testing.T, st *sseStream, timeout time.Duration) (userEvent, bool) {
	t.Helper()
	ev, ok := st.next(t, timeout)
	if !ok {
		return userEvent{}, false
	}
	ue := userEvent{sseEvent: ev}
	if ev.ID == "" {
		t.Errorf("event %s without an id", ev.Name)
	}
	if ev.Name == "task" || ev.Name == "deleted" {
		if err := json.Unmarshal([]byte(ev.Data), &ue.Task); err != nil || ue.Task.ID == "" {
			t.Fatalf("%s event data %q: %v", ev.Name, truncate(ev.Data, 300), err)
		}
	}
	return ue, true
}

// collectUntil reads a user stream until done says stop, failing the test
// on a task that is not in own (another user's) and after timeout.
func collectUntil(t *testing.T, st *sseStream, who string, own map[string]bool, timeout time.Duration, done func(userEvent) bool) []userEvent {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var out []userEvent
	for {
		ev, ok := nextUserEvent(t, st, time.Until(deadline))
		if !ok {
			t.Fatalf("%s's stream ended after %d events (read error %v)", who, len(out), st.err)
		}
		if ev.Task.ID != "" && !own[ev.Task.ID] {
			t.Fatalf("%s's stream carried task %s, which is not theirs (%s)", who, ev.Task.ID, ev.Name)
		}
		out = append(out, ev)
		if done(ev) {
			return out
		}
	}
}

// trace is "name id status pages" per event, for messages.
func trace(evs []userEvent) string {
	var parts []string
	for _, e := range evs {
		id := e.Task.ID
		id = id[max(0, len(id)-8):] // the end of a UUIDv7 tells tasks apart
		parts = append(parts, fmt.Sprintf("%s#%s %s %s %d/%d", e.Name, e.ID, id, e.Task.Status, e.Task.PagesDone, e.Task.PagesTotal))
	}
	return strings.Join(parts, " → ")
}

// TestEventsUserStream follows two users on GET /events (issue 13 §3):
// each sees their own tasks from creation through page progress to the
// end and their deletions, never the other's; a stream reopened with
// Last-Event-ID gets exactly the events it missed (compared with a stream
// that stayed open); a stream without Accept: text/event-stream is
// refused; and the stream ends when its session signs out.
func TestEventsUserStream(t *testing.T) {
	s := sharedServer(t)
	alice, _ := newUser(t, s, "sse-alice", "Alice")
	bob, _ := newUser(t, s, "sse-bob", "Bob")
	own := map[string]map[string]bool{"alice": {}, "bob": {}}

	if r := alice.get(t, "/events"); r.Status != http.StatusNotAcceptable {
		t.Errorf("GET /events without Accept: text/event-stream: %d, want 406: %s", r.Status, truncate(string(r.Body), 200))
	}

	as, witness, bs := openUserEvents(t, alice, ""), openUserEvents(t, alice, ""), openUserEvents(t, bob, "")
	for who, st := range map[string]*sseStream{"alice": as, "alice's witness": witness, "bob": bs} {
		if ev, _ := nextUserEvent(t, st, 10*time.Second); ev.Name != "ready" {
			t.Fatalf("%s's first event %q, want ready", who, ev.Name)
		}
	}

	// Both upload; each stream follows its own task to the end.
	a1 := alice.upload(t, [][2]string{{"outputs", "txt"}}, corpusUpload(t, "multipage/four-pages.tif"))[0]
	b1 := bob.upload(t, [][2]string{{"outputs", "txt"}}, upload{Name: "bob.png", Data: patternPNG(t, 160, 60)})[0]
	own["alice"][a1.ID], own["bob"][b1.ID] = true, true
	finished := func(id string) func(userEvent) bool {
		return func(e userEvent) bool { return e.Name == "task" && e.Task.ID == id && e.Task.terminal() }
	}
	aEvs := collectUntil(t, as, "alice", own["alice"], 3*time.Minute, finished(a1.ID))
	bEvs := collectUntil(t, bs, "bob", own["bob"], 3*time.Minute, finished(b1.ID))
	t.Logf("alice: %s", trace(aEvs))
	t.Logf("bob: %s", trace(bEvs))
	if first := aEvs[0]; first.Name != "task" || first.Task.Status != "pending" {
		t.Errorf("alice's first event after upload: %s %s, want the created task, pending", first.Name, first.Task.Status)
	}
	if last := aEvs[len(aEvs)-1].Task; last.Status != "completed" || last.PagesDone != 4 {
		t.Errorf("alice's task ended %s %d/4, want completed 4/4", last.Status, last.PagesDone)
	}
	progress := false
	for _, e := range aEvs {
		if e.Task.Status == "processing" && e.Task.PagesDone > 0 && e.Task.PagesDone < 4 {
			progress = true
		}
	}
	if !progress {
		t.Errorf("no page progress on alice's stream: %s", trace(aEvs))
	}

	// Alice's stream drops; meanwhile a task runs and one is deleted.
	lastSeen := aEvs[len(aEvs)-1].ID
	as.resp.Body.Close()
	a2 := alice.upload(t, [][2]string{{"outputs", "txt"}}, upload{Name: "alice.png", Data: patternPNG(t, 160, 60)})[0]
	own["alice"][a2.ID] = true
	alice.waitTerminal(t, a2.ID, 3*time.Minute)
	if r := alice.do(t, http.MethodDelete, "/tasks/"+a1.ID, nil, ""); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	deleted := func(e userEvent) bool { return e.Name == "deleted" && e.Task.ID == a1.ID }
	// The witness stayed open the whole time: it has everything after lastSeen.
	wEvs := collectUntil(t, witness, "alice's witness", own["alice"], time.Minute, deleted)
	var missed []userEvent
	for _, e := range wEvs {
		if after(e.ID, lastSeen) {
			missed = append(missed, e)
		}
	}
	resumed := openUserEvents(t, alice, lastSeen)
	replayed := collectUntil(t, resumed, "alice (resumed)", own["alice"], time.Minute, deleted)
	t.Logf("missed while away: %s", trace(missed))
	if got, want := trace(replayed), trace(missed); got != want {
		t.Errorf("resumed after %s with\n  %s\nwant exactly the missed events\n  %s", lastSeen, got, want)
	}
	if len(replayed) < 3 || replayed[0].Task.ID != a2.ID || replayed[0].Task.Status != "pending" {
		t.Errorf("the replay should start with the new task's creation and follow it: %s", trace(replayed))
	}

	// Signing out ends the session's streams (bob's first one, read to its
	// end, must still hold only his tasks).
	signedOut := openUserEvents(t, bob, "")
	nextUserEvent(t, signedOut, 10*time.Second)
	start := time.Now()
	if r := bob.do(t, http.MethodPost, "/auth/logout", nil, ""); r.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	for {
		ev, ok := nextUserEvent(t, signedOut, 5*time.Second)
		if !ok {
			break
		}
		if ev.Task.ID != "" && !own["bob"][ev.Task.ID] {
			t.Errorf("bob's stream carried %s", ev.Task.ID)
		}
	}
	took := time.Since(start)
	t.Logf("the stream ended %s after logout", took.Round(time.Millisecond))
	if took > 2*time.Second {
		t.Errorf("the stream ended %s after logout, want within a second or so", took)
	}
	for {
		ev, ok := nextUserEvent(t, bs, 5*time.Second)
		if !ok {
			break
		}
		if ev.Task.ID != "" && !own["bob"][ev.Task.ID] {
			t.Errorf("bob's stream carried %s", ev.Task.ID)
		}
	}
	// Alice's session is untouched: her resumed stream is still open.
	alice.upload(t, [][2]string{{"outputs", "txt"}}, upload{Name: "alice2.png", Data: patternPNG(t, 160, 60)})
	if ev, ok := nextUserEvent(t, resumed, 30*time.Second); !ok || ev.Name != "task" {
		t.Errorf("alice's stream after bob signed out: %+v %v", ev, ok)
	}
}

// after reports whether event id a is newer than b (ids are decimal).
func after(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}
