package httpapi_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestEventStreamEndsWithItsSession: an open event stream stops within a
// second of its session ending (logout, or the account's sessions removed),
// while the task it watches is still pending.
func TestEventStreamEndsWithItsSession(t *testing.T) {
	for _, end := range []string{"logout", "sessions removed"} {
		t.Run(end, func(t *testing.T) {
			e := newEnv(t, 100)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go e.app.Listener(ln)
			t.Cleanup(func() { _ = e.app.ShutdownWithTimeout(time.Second) })
			tok := e.login(t, "alice")
			task := e.uploadOne(t, tok)
			ended := make(chan time.Time, 1)
			firstEvent := make(chan struct{})
			go func() {
				req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/api/v1/tasks/"+task.ID+"/events", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					ended <- time.Now()
					return
				}
				sc := bufio.NewScanner(res.Body)
				for sc.Scan() {
					if strings.HasPrefix(sc.Text(), "event: task") {
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
				if _, err := e.store.DeleteUserSessions(context.Background(), u.ID); err != nil {
					t.Fatal(err)
				}
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
		})
	}
}
