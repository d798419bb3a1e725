package fairshare

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

// ask is one page waiting for a slot.
type ask struct {
	user string
	page int
	g    chan *Grant
}

// harness drives a Scheduler deterministically: pages ask one at a time
// (each registered before the next asks), slots are released by the test.
type harness struct {
	t    *testing.T
	s    *Scheduler
	t0   time.Time
	asks []*ask
}

func newHarness(t *testing.T, opts Options) *harness {
	return &harness{t: t, s: New(opts), t0: time.Unix(1_000_000, 0)}
}

// ask queues page n of user's task queued at second q.
func (h *harness) ask(ctx context.Context, user string, q, n int) *ask {
	h.t.Helper()
	a := &ask{user: user, page: n, g: make(chan *Grant, 1)}
	_, before := h.s.Stats()
	busyBefore, _ := h.s.Stats()
	go func() {
		g, err := h.s.Acquire(ctx, user, Priority{QueuedAt: h.t0.Add(time.Duration(q) * time.Second), Page: n})
		if err != nil {
			close(a.g)
			return
		}
		a.g <- g
	}()
	// Registered: either waiting or granted.
	deadline := time.Now().Add(5 * time.Second)
	for {
		busy, waiting := h.s.Stats()
		if waiting > before || busy > busyBefore {
			break
		}
		if time.Now().After(deadline) {
			h.t.Fatal("the page never reached the scheduler")
		}
		time.Sleep(time.Millisecond)
	}
	h.asks = append(h.asks, a)
	return a
}

// next waits for an ask to be granted (or refused: nil grant) and takes
// it out of the pending list.
func (h *harness) next() (*ask, *Grant) {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		for i, a := range h.asks {
			select {
			case g := <-a.g:
				h.asks = append(h.asks[:i], h.asks[i+1:]...)
				return a, g
			default:
			}
		}
		select {
		case <-deadline:
			h.t.Fatal("no page was granted")
		case <-time.After(time.Millisecond):
		}
	}
}

// drain serves every waiting page, one slot-release at a time with the given
// cost per user, and returns the order as "user/page".
func (h *harness) drain(held []*Grant, cost map[string]time.Duration) []string {
	h.t.Helper()
	var order []string
	for len(held) > 0 {
		g := held[0]
		held = held[1:]
		g.Release(cost[g.u.id])
		if len(h.asks) == 0 {
			continue
		}
		a, ng := h.next()
		order = append(order, fmt.Sprintf("%s/%d", a.user, a.page))
		held = append(held, ng)
	}
	return order
}

func TestFairShare(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name  string
		opts  Options
		setup func(h *harness) []string // returns the expected grant order after the initial holder
		cost  map[string]time.Duration
	}{
		{
			name: "a newcomer's page goes before a heavy batch queued earlier",
			opts: Options{Slots: 1},
			cost: map[string]time.Duration{"heavy": 2 * sec, "small": sec / 5},
			setup: func(h *harness) []string {
				for p := 2; p <= 4; p++ {
					h.ask(context.Background(), "heavy", 0, p)
				}
				h.ask(context.Background(), "small", 5, 1)
				return []string{"small/1", "heavy/2", "heavy/3", "heavy/4"}
			},
		},
		{
			name: "round robin between equal people, FIFO within each",
			opts: Options{Slots: 1},
			cost: map[string]time.Duration{"a": sec, "b": sec, "heavy": sec},
			setup: func(h *harness) []string {
				h.ask(context.Background(), "a", 1, 1)
				h.ask(context.Background(), "a", 1, 2)
				h.ask(context.Background(), "b", 2, 1)
				h.ask(context.Background(), "a", 0, 9) // an older task of a's: goes first among a's
				h.ask(context.Background(), "b", 2, 2)
				return []string{"a/9", "b/1", "a/1", "b/2", "a/2"}
			},
		},
		{
			name: "many tasks or one task of many pages: the same share",
			opts: Options{Slots: 1},
			cost: map[string]time.Duration{"tasks": sec, "pages": sec, "heavy": sec},
			setup: func(h *harness) []string {
				for i := 1; i <= 3; i++ {
					h.ask(context.Background(), "tasks", i, 1) // three one-page tasks
				}
				for p := 1; p <= 3; p++ {
					h.ask(context.Background(), "pages", 1, p) // one three-page task
				}
				return []string{"tasks/1", "pages/1", "tasks/1", "pages/2", "tasks/1", "pages/3"}
			},
		},
		{
			name: "weight 2 gets two pages for each of weight 1",
			opts: Options{Slots: 1, Weight: func(id string) float64 {
				if id == "boss" {
					return 2
				}
				return 1
			}},
			cost: map[string]time.Duration{"boss": sec, "staff": sec, "heavy": sec},
			setup: func(h *harness) []string {
				for p := 1; p <= 4; p++ {
					h.ask(context.Background(), "staff", 0, p)
				}
				for p := 1; p <= 4; p++ {
					h.ask(context.Background(), "boss", 0, p)
				}
				return []string{"staff/1", "boss/1", "boss/2", "staff/2", "boss/3", "boss/4", "staff/3", "staff/4"}
			},
		},
		{
			name: "a cancelled page frees its place at once",
			opts: Options{Slots: 1},
			cost: map[string]time.Duration{"a": sec, "b": sec, "heavy": sec},
			setup: func(h *harness) []string {
				ctx, cancel := context.WithCancel(context.Background())
				h.ask(ctx, "a", 0, 1)
				h.ask(context.Background(), "b", 1, 1)
				cancel()
				a, g := h.next() // the cancelled ask's channel closes
				if g != nil {
					h.t.Fatalf("%s/%d granted after cancel", a.user, a.page)
				}
				return []string{"b/1"}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.opts)
			// The heavy user holds the only slot while the others queue.
			h.ask(context.Background(), "heavy", 0, 1)
			_, g := h.next()
			if g == nil {
				t.Fatal("the first page was not granted")
			}
			want := tc.setup(h)
			got := h.drain([]*Grant{g}, tc.cost)
			if !slices.Equal(got, want) {
				t.Fatalf("grant order\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestMaxRunningPerUser(t *testing.T) {
	h := newHarness(t, Options{Slots: 3, MaxRunningPerUser: 2})
	for p := 1; p <= 3; p++ {
		h.ask(context.Background(), "a", 0, p)
	}
	if busy, waiting := h.s.Stats(); busy != 2 || waiting != 1 {
		t.Fatalf("busy %d waiting %d; want 2 running (the cap) and 1 waiting with a slot free", busy, waiting)
	}
	if n := h.s.Spare(0); n != 1 {
		t.Fatalf("spare %d, want 1: a capped person's waiting page does not hold the free slot", n)
	}
	h.ask(context.Background(), "b", 1, 1)
	if busy, _ := h.s.Stats(); busy != 3 {
		t.Fatalf("busy %d: b should take the slot a's cap left free", busy)
	}
}

// An idle person does not bank credit: after a long idle spell they start
// at the current virtual time, so a heavy batch still gets its turn.
func TestIdleTimeIsNotCredit(t *testing.T) {
	h := newHarness(t, Options{Slots: 1})
	h.ask(context.Background(), "heavy", 0, 1)
	_, g := h.next()
	for p := 2; p <= 20; p++ {
		h.ask(context.Background(), "heavy", 0, p)
	}
	var held []*Grant
	held = append(held, g)
	// The heavy batch runs alone for ten pages.
	for range 10 {
		held[0].Release(time.Second)
		_, ng := h.next()
		held[0] = ng
	}
	// Now the returning person queues three pages: they alternate with the
	// heavy batch instead of taking ten pages' worth of "credit".
	for p := 1; p <= 3; p++ {
		h.ask(context.Background(), "late", 100, p)
	}
	got := h.drain(held, map[string]time.Duration{"heavy": time.Second, "late": time.Second})
	want := []string{"late/1", "heavy/12", "late/2", "heavy/13", "late/3"}
	if !slices.Equal(got[:len(want)], want) {
		t.Fatalf("after a heavy run: %v, want it to start with %v", got, want)
	}
}

func TestAcquireCancelledReturnsCause(t *testing.T) {
	s := New(Options{Slots: 1})
	g, err := s.Acquire(context.Background(), "a", Priority{})
	if err != nil {
		t.Fatal(err)
	}
	cause := errors.New("task deleted")
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel(cause) }()
	if _, err := s.Acquire(ctx, "b", Priority{}); !errors.Is(err, cause) {
		t.Fatalf("err %v, want the context's cause", err)
	}
	g.Release(time.Second)
	if busy, waiting := s.Stats(); busy != 0 || waiting != 0 {
		t.Fatalf("busy %d waiting %d after everything left", busy, waiting)
	}
	if len(s.users) > 1 {
		t.Fatalf("%d people remembered, want at most the one ahead of virtual time", len(s.users))
	}
}

func TestSimulate(t *testing.T) {
	s := New(Options{Slots: 2})
	got := s.Simulate([]Queue{
		{UserID: "heavy", Items: []string{"h1", "h2", "h3", "h4"}},
		{UserID: "a", Items: []string{"a1"}},
		{UserID: "b", Items: []string{"b1", "b2"}},
	})
	want := []string{"h1", "a1", "b1", "h2", "b2", "h3", "h4"}
	if !slices.Equal(got, want) {
		t.Fatalf("simulated order %v, want %v", got, want)
	}
}

// People served once and gone are forgotten once the virtual time passes
// their tags: memory follows the people with work, not everyone ever seen.
func TestForgetsPeopleWhoLeft(t *testing.T) {
	s := New(Options{Slots: 1})
	for i := range 3000 {
		g, err := s.Acquire(context.Background(), fmt.Sprintf("person-%d", i), Priority{})
		if err != nil {
			t.Fatal(err)
		}
		g.Release(time.Second)
	}
	s.mu.Lock()
	n := len(s.users)
	s.mu.Unlock()
	if n > sweepEvery+1 {
		t.Fatalf("%d people remembered after 3000 came and went, want at most %d", n, sweepEvery+1)
	}
}

// A stream of newcomers, one page each, cannot hold back a batch for as
// long as they keep coming: the batch keeps getting its turns (with the
// virtual time as the start tag of the last page granted, it got none).
func TestBatchProgressesAmongNewcomers(t *testing.T) {
	h := newHarness(t, Options{Slots: 1})
	h.ask(context.Background(), "heavy", 0, 1)
	_, g := h.next()
	for p := 2; p <= 20; p++ {
		h.ask(context.Background(), "heavy", 0, p)
	}
	var order []string
	for i := range 12 {
		h.ask(context.Background(), fmt.Sprintf("new%02d", i), 10+i, 1)
		g.Release(time.Second)
		a, ng := h.next()
		order = append(order, a.user)
		g = ng
	}
	// Its share is one of the people with work at each moment (itself and
	// the two or three newcomers waiting): a turn in every few.
	heavy, gap, longest := 0, 0, 0
	for _, u := range order {
		if u == "heavy" {
			heavy, gap = heavy+1, 0
			continue
		}
		gap++
		longest = max(longest, gap)
	}
	if heavy < 3 || longest > 5 {
		t.Fatalf("the batch got %d of 12 turns, at most %d apart, while newcomers kept arriving (%v); want a turn in every few", heavy, longest+1, order)
	}
}

// Slots follow capacity: a node joining adds slots that go to waiting
// pages at once; one leaving (0 slots) holds new pages until a running
// one is released and capacity returns.
func TestSetSlots(t *testing.T) {
	h := newHarness(t, Options{Slots: 1})
	h.ask(context.Background(), "a", 0, 1)
	h.ask(context.Background(), "a", 0, 2)
	h.ask(context.Background(), "b", 1, 1)
	if busy, waiting := h.s.Stats(); busy != 1 || waiting != 2 {
		t.Fatalf("busy %d waiting %d; want 1 and 2", busy, waiting)
	}
	_, first := h.next()
	h.s.SetSlots(2)
	_, second := h.next()
	if second.u.id != "b" {
		t.Fatalf("the new slot went to %s, want b (least served)", second.u.id)
	}
	h.s.SetSlots(0)
	first.Release(time.Second)
	second.Release(time.Second)
	if busy, waiting := h.s.Stats(); busy != 0 || waiting != 1 {
		t.Fatalf("with no slots: busy %d waiting %d; want 0 and 1", busy, waiting)
	}
	if n := h.s.Spare(0); n >= 0 {
		t.Fatalf("spare %d with no slots and a page waiting, want < 0", n)
	}
	h.s.SetSlots(1)
	if a, _ := h.next(); a.user != "a" || a.page != 2 {
		t.Fatalf("granted %s/%d when a slot came back, want a/2", a.user, a.page)
	}
	if h.s.Slots() != 1 {
		t.Fatalf("Slots() = %d, want 1", h.s.Slots())
	}
}
