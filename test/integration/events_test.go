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
	Name string
	Data string
}

// sseStream is an open GET /tasks/{id}/events.
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/tasks/"+taskID+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/event-stream")
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
