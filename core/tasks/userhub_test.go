package tasks_test

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

// owned is a task of user with pages_done done.
func owned(user, id string, done int) *domain.Task {
	t := snapshot(id, done)
	t.UserID = user
	return t
}

// next waits for the subscriber to be woken and returns what it has.
func next(t *testing.T, s *tasks.UserSub) []tasks.UserEvent {
	t.Helper()
	select {
	case <-s.Wake():
		return s.Next()
	case <-time.After(time.Second):
		t.Fatal("subscriber not woken")
		return nil
	}
}

// quiet checks that the subscriber has nothing new.
func quiet(t *testing.T, s *tasks.UserSub) {
	t.Helper()
	select {
	case <-s.Wake():
		if evs := s.Next(); len(evs) > 0 {
			t.Fatalf("unexpected events %s", describe(evs))
		}
	case <-time.After(30 * time.Millisecond):
	}
}

// describe is "type:id:pages_done" per event, for messages and comparisons.
func describe(evs []tasks.UserEvent) []string {
	var out []string
	for _, ev := range evs {
		var body struct {
			ID        string `json:"id"`
			PagesDone int    `json:"pages_done"`
			Reason    string `json:"reason"`
		}
		_ = json.Unmarshal(ev.Data, &body)
		switch ev.Type {
		case tasks.EventTask:
			out = append(out, ev.Type+":"+body.ID+":"+strconv.Itoa(body.PagesDone))
		case tasks.EventReset:
			out = append(out, ev.Type+":"+body.Reason)
		default:
			out = append(out, ev.Type+":"+body.ID)
		}
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func wantEvents(t *testing.T, got []tasks.UserEvent, want ...string) {
	t.Helper()
	if d := describe(got); !equal(d, want) {
		t.Fatalf("events %q, want %q", d, want)
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID != got[i-1].ID+1 {
			t.Fatalf("event ids %d then %d: not consecutive", got[i-1].ID, got[i].ID)
		}
	}
}

// Each user's stream carries their own tasks only, in order, and starts
// with a ready event whose id a reconnection resumes from.
func TestUserHubIsolation(t *testing.T) {
	t.Parallel()
	h := tasks.NewUserHub(tasks.UserHubOptions{})
	alice, bob := h.Subscribe("alice", ""), h.Subscribe("bob", "")
	defer alice.Close()
	defer bob.Close()
	ready := next(t, alice)
	wantEvents(t, ready, "ready:")

	h.PublishTask(owned("alice", "a1", 1))
	h.PublishTask(owned("bob", "b1", 1))
	h.PublishTask(owned("alice", "a1", 2))
	h.PublishDeleted("alice", "a1")
	h.PublishTask(owned("carol", "c1", 1)) // nobody listening: not even kept
	got := next(t, alice)
	wantEvents(t, got, "task:a1:1", "task:a1:2", "deleted:a1")
	if got[0].ID != ready[0].ID+1 {
		t.Errorf("first event id %d, want the ready id %d + 1", got[0].ID, ready[0].ID)
	}
	wantEvents(t, next(t, bob), "ready:", "task:b1:1")
	quiet(t, alice)
	if n := h.Users(); n != 2 {
		t.Errorf("%d users kept, want 2 (carol has no stream)", n)
	}
}

// TestUserHubResume: a stream reopened with the last id it saw gets
// exactly the events it missed; an id that cannot be replayed gets a
// reset instead of a silent gap.
func TestUserHubResume(t *testing.T) {
	t.Parallel()
	h := tasks.NewUserHub(tasks.UserHubOptions{Ring: 4})
	s := h.Subscribe("u", "")
	next(t, s)
	h.PublishTask(owned("u", "t", 1))
	seen := next(t, s)
	last := strconv.FormatUint(seen[len(seen)-1].ID, 10)
	s.Close()

	h.PublishTask(owned("u", "t", 2))
	h.PublishTask(owned("u", "t", 3))
	r := h.Subscribe("u", last)
	wantEvents(t, next(t, r), "task:t:2", "task:t:3")
	h.PublishTask(owned("u", "t", 4))
	wantEvents(t, next(t, r), "task:t:4")
	r.Close()

	// Up to date: nothing to replay, and no reset either.
	cur := h.Subscribe("u", "")
	head := next(t, cur)[0].ID
	cur.Close()
	upToDate := h.Subscribe("u", strconv.FormatUint(head, 10))
	quiet(t, upToDate)
	upToDate.Close()

	// Four more: the ring (4) still holds everything after head.
	for i := 5; i <= 8; i++ {
		h.PublishTask(owned("u", "t", i))
	}
	full := h.Subscribe("u", strconv.FormatUint(head, 10))
	wantEvents(t, next(t, full), "task:t:5", "task:t:6", "task:t:7", "task:t:8")
	full.Close()

	for _, tc := range []struct{ name, last string }{
		{"older than the ring", last},
		{"from the future", strconv.FormatUint(head+1000, 10)},
		{"not a number", "abc"},
		{"negative", "-1"},
		{"zero", "0"},
	} {
		s := h.Subscribe("u", tc.last)
		wantEvents(t, next(t, s), "reset:resume_unavailable")
		h.PublishTask(owned("u", "t", 9))
		wantEvents(t, next(t, s), "task:t:9")
		s.Close()
	}
}

// An id of an earlier run (another hub) never resumes in this one, even
// when its number is inside this hub's range by chance: the ids of a new
// hub start past every earlier one.
func TestUserHubIDsOfAnEarlierRun(t *testing.T) {
	t.Parallel()
	old := tasks.NewUserHub(tasks.UserHubOptions{})
	s := old.Subscribe("u", "")
	next(t, s)
	for i := range 50 {
		old.PublishTask(owned("u", "t", i))
	}
	evs := next(t, s)
	last := evs[len(evs)-1].ID
	time.Sleep(time.Millisecond) // the new run starts later
	restarted := tasks.NewUserHub(tasks.UserHubOptions{})
	r := restarted.Subscribe("u", strconv.FormatUint(last, 10))
	wantEvents(t, next(t, r), "reset:resume_unavailable")
	restarted.PublishTask(owned("u", "t", 1))
	if got := next(t, r); len(got) != 1 || got[0].ID <= last {
		t.Errorf("first id of the new run %v, want one event past %d", got, last)
	}
}

// A subscriber that does not read never holds up a publisher; once it
// falls more than a ring behind it gets one reset and carries on from the
// newest event.
func TestUserHubSlowSubscriber(t *testing.T) {
	t.Parallel()
	h := tasks.NewUserHub(tasks.UserHubOptions{Ring: 8})
	slow := h.Subscribe("u", "")
	defer slow.Close()
	next(t, slow)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			h.PublishTask(owned("u", "t", i))
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publishing 1000 events to a subscriber that does not read took over 5 s")
	}
	wantEvents(t, next(t, slow), "reset:fell_behind")
	h.PublishTask(owned("u", "t", 1000))
	wantEvents(t, next(t, slow), "task:t:1000")
}

// The ring keeps at most RingBytes of events: a client resuming from
// before what fits gets a reset, one resuming inside it its events.
func TestUserHubRingBytes(t *testing.T) {
	t.Parallel()
	one, _ := json.Marshal(owned("u", "t", 1))
	h := tasks.NewUserHub(tasks.UserHubOptions{Ring: 100, RingBytes: 3 * len(one)})
	s := h.Subscribe("u", "")
	start := next(t, s)[0].ID
	s.Close()
	for i := 1; i <= 5; i++ {
		h.PublishTask(owned("u", "t", i))
	}
	old := h.Subscribe("u", strconv.FormatUint(start+1, 10)) // needs events 2…5; 2 is gone
	wantEvents(t, next(t, old), "reset:resume_unavailable")
	old.Close()
	kept := h.Subscribe("u", strconv.FormatUint(start+2, 10))
	wantEvents(t, next(t, kept), "task:t:3", "task:t:4", "task:t:5")
	kept.Close()
}

// Publishing, subscribing, reading and closing race freely (run with
// -race), and every reader sees ids only grow.
func TestUserHubConcurrentUse(t *testing.T) {
	t.Parallel()
	h := tasks.NewUserHub(tasks.UserHubOptions{Ring: 16})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 300 {
				h.PublishTask(owned("u", "t", w*1000+i))
			}
		})
		wg.Go(func() {
			for range 30 {
				s := h.Subscribe("u", "")
				var last uint64
				for range 3 {
					select {
					case <-s.Wake():
					case <-time.After(5 * time.Millisecond):
					}
					for _, ev := range s.Next() {
						if ev.ID < last {
							t.Errorf("id %d after %d", ev.ID, last)
						}
						last = ev.ID
					}
				}
				s.Close()
				s.Close() // a second call is harmless
			}
		})
	}
	wg.Wait()
}

// The broker sends every update to the owner's stream too, and a deletion
// as a deleted event there while the task's own stream ends with cancelled.
func TestBrokerUserStream(t *testing.T) {
	t.Parallel()
	b := tasks.NewBroker()
	user := b.SubscribeUser("u", "")
	defer user.Close()
	next(t, user)
	task, stop := b.Subscribe("t")
	defer stop()

	b.Publish(owned("u", "t", 1))
	if u := receive(task); u == nil || u.PagesDone != 1 {
		t.Errorf("task stream got %+v", u)
	}
	b.Deleted(owned("u", "t", 1))
	if u := receive(task); u == nil || u.Status != domain.StatusCancelled {
		t.Errorf("task stream got %+v at deletion, want cancelled", u)
	}
	wantEvents(t, next(t, user), "task:t:1", "deleted:t")
}

// The service announces creation, cancel, retry and deletion on the
// owner's stream, and only there.
func TestServiceUserStream(t *testing.T) {
	t.Parallel()
	f := newFixture(t, tasks.Options{})
	ctx := context.Background()
	alice, err := f.svc.WatchUser(ctx, f.alice.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	bob, _ := f.svc.WatchUser(ctx, f.bob.ID, "")
	defer bob.Close()
	next(t, alice)
	next(t, bob)

	tk := f.upload(t, f.alice, "a.png", pngBytes(t, 20, 20))
	if _, err := f.svc.Cancel(ctx, f.alice.ID, tk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Retry(ctx, f.alice.ID, tk.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Delete(ctx, f.alice.ID, tk.ID); err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, ev := range next(t, alice) {
		var body struct{ ID, Status string }
		if err := json.Unmarshal(ev.Data, &body); err != nil {
			t.Fatal(err)
		}
		if body.ID != tk.ID {
			t.Errorf("event about %q, want %q", body.ID, tk.ID)
		}
		statuses = append(statuses, ev.Type+":"+body.Status)
	}
	if want := []string{"task:pending", "task:cancelled", "task:pending", "deleted:"}; !equal(statuses, want) {
		t.Errorf("alice's events %q, want %q", statuses, want)
	}
	quiet(t, bob)
	if _, err := f.svc.WatchUser(ctx, "", ""); err == nil {
		t.Error("WatchUser without a user id succeeded")
	}
}
