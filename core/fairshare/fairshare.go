// Package fairshare hands the engine slots (one page in flight per engine
// process) to people, not to tasks. Every page asks for a slot; when one is
// free it goes to the waiting person who has had the least service so far,
// measured in page time divided by their weight (start-time fair queueing,
// the tag of a person being the virtual time at which their last granted
// page ends). Within one person, pages go in their tasks' queue order.
//
// The virtual time advances as a fluid fair share would serve everyone with
// work (each page's time over their total weight). A person who comes back
// after being idle starts at the current virtual time: idle time is not
// banked as credit, so nobody can return with a
// burst that shuts others out, and a heavy batch keeps getting its share
// while others come and go. Splitting a batch into many tasks or keeping it
// as one task of many pages makes no difference: the tags are per person.
//
// The state is in memory and derives from what is running: after a restart
// everyone starts equal, which is fair, and nothing queued is lost (the
// queue itself is in bbolt).
package fairshare

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Options tune a Scheduler.
type Options struct {
	// Slots is how many pages may be in flight at once (the engine
	// processes); at least 1.
	Slots int
	// MaxRunningPerUser caps the pages one person has in flight; 0 = no
	// cap (limits.max_running_pages_per_user).
	MaxRunningPerUser int
	// Weight returns a person's share relative to others (default 1); a
	// person of weight 2 gets twice the page time of one of weight 1 when
	// both wait.
	Weight func(userID string) float64
	// DefaultCost is the page time assumed for a person whose pages have
	// not been measured yet; default 1s.
	DefaultCost time.Duration
}

// Priority orders one person's waiting pages: earlier-queued tasks first,
// then page order.
type Priority struct {
	QueuedAt time.Time
	Page     int
}

func (p Priority) before(q Priority) bool {
	if !p.QueuedAt.Equal(q.QueuedAt) {
		return p.QueuedAt.Before(q.QueuedAt)
	}
	return p.Page < q.Page
}

// Scheduler grants page slots fairly between people. It is safe for
// concurrent use.
type Scheduler struct {
	opts Options

	mu    sync.Mutex
	busy  int
	users map[string]*user
	// vtime is the system's virtual time: it advances by each page's time
	// divided by the total weight of the people with work (a fluid fair
	// share's clock), and jumps past every tag when the system is idle. A
	// person's next page starts at max(their tag, vtime); someone new
	// starts at vtime.
	vtime float64
	seq   uint64
	// avg is the running mean page cost over everyone (seconds), the
	// estimate for a person not measured yet.
	avg float64
	// freed is signalled when a slot becomes free or a waiter leaves, so
	// the caller that opens tasks can look for more work.
	freed chan struct{}
	// releases counts grants released, for the occasional sweep of idle
	// people whose tags the virtual time has passed since.
	releases uint64
}

type user struct {
	id      string
	tag     float64 // virtual time at which the last granted page ends
	running int
	waiting []*waiter // sorted by (prio, seq)
	since   uint64    // sequence number of the ask that made waiting non-empty
	est     float64   // this person's running mean page cost, seconds; 0 = unknown
	weight  float64
}

type waiter struct {
	u     *user
	prio  Priority
	seq   uint64
	ready chan *Grant // buffered 1; the grant is sent exactly once
	gone  bool        // left before being granted
}

// Grant is one slot held by one page. Release it exactly once.
type Grant struct {
	s       *Scheduler
	u       *user
	charged float64 // virtual cost charged at grant time
	start   time.Time
	once    sync.Once
}

// New returns a scheduler with opts.Slots free slots.
func New(opts Options) *Scheduler {
	if opts.Slots < 1 {
		opts.Slots = 1
	}
	if opts.DefaultCost <= 0 {
		opts.DefaultCost = time.Second
	}
	return &Scheduler{opts: opts, users: map[string]*user{}, avg: opts.DefaultCost.Seconds(),
		freed: make(chan struct{}, 1)}
}

// Acquire waits for a slot for one page of userID's. It returns ctx's
// cause if ctx ends first (a cancelled task frees its place at once).
func (s *Scheduler) Acquire(ctx context.Context, userID string, prio Priority) (*Grant, error) {
	s.mu.Lock()
	u := s.userLocked(userID)
	s.seq++
	w := &waiter{u: u, prio: prio, seq: s.seq, ready: make(chan *Grant, 1)}
	if len(u.waiting) == 0 {
		u.since = w.seq
	}
	i := sort.Search(len(u.waiting), func(i int) bool {
		x := u.waiting[i]
		return w.prio.before(x.prio) || (!x.prio.before(w.prio) && w.seq < x.seq)
	})
	u.waiting = append(u.waiting, nil)
	copy(u.waiting[i+1:], u.waiting[i:])
	u.waiting[i] = w
	s.dispatchLocked()
	s.mu.Unlock()

	select {
	case g := <-w.ready:
		return g, nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	select {
	case g := <-w.ready: // granted while we were leaving: hand it back unused
		g.u.tag -= g.charged
		s.mu.Unlock()
		g.Release(0)
		return nil, context.Cause(ctx)
	default:
	}
	w.gone = true
	for i, x := range u.waiting {
		if x == w {
			u.waiting = append(u.waiting[:i], u.waiting[i+1:]...)
			break
		}
	}
	s.forgetLocked(u)
	s.signalLocked()
	s.mu.Unlock()
	return nil, context.Cause(ctx)
}

// Release frees the slot and charges the person for the page's cost: the
// time it held the slot, or the estimate when cost is 0 (a page that did
// not run to the end is charged as estimated, never less than nothing).
func (g *Grant) Release(cost time.Duration) {
	g.once.Do(func() {
		s := g.s
		s.mu.Lock()
		defer s.mu.Unlock()
		u := g.u
		if cost > 0 {
			c := cost.Seconds()
			// The virtual time advances as the engines serve everyone who
			// has work at the same pace (the page's time shared between
			// the weights of the people waiting or running), so a stream
			// of newcomers, each starting at it, cannot hold a batch back
			// for as long as they keep coming.
			active := 0.0
			for _, x := range s.users {
				if x.running > 0 || len(x.waiting) > 0 {
					active += x.weight
				}
			}
			s.vtime += c / max(active, u.weight)
			// Correct the estimate charged at grant time to what it cost.
			u.tag += c/u.weight - g.charged
			u.est = ewma(u.est, c)
			s.avg = ewma(s.avg, c)
		}
		u.running--
		s.busy--
		s.dispatchLocked()
		s.forgetLocked(u)
		if s.releases++; s.releases%sweepEvery == 0 {
			for _, x := range s.users {
				s.forgetLocked(x)
			}
		}
		s.signalLocked()
	})
}

// Held returns how long the grant has been held.
func (g *Grant) Held() time.Duration { return time.Since(g.start) }

// sweepEvery is how many releases pass between sweeps of the people the
// scheduler remembers: someone served once and gone is only forgotten when
// the virtual time has passed their tag, which happens while others work.
const sweepEvery = 1024

func ewma(old, x float64) float64 {
	if old == 0 {
		return x
	}
	return 0.8*old + 0.2*x
}

// userLocked returns userID's state, creating it at the current virtual
// time.
func (s *Scheduler) userLocked(userID string) *user {
	u := s.users[userID]
	if u == nil {
		w := 1.0
		if s.opts.Weight != nil {
			if x := s.opts.Weight(userID); x > 0 {
				w = x
			}
		}
		u = &user{id: userID, tag: s.vtime, weight: w}
		s.users[userID] = u
	}
	return u
}

// forgetLocked drops an idle person whose tag is no longer ahead of the
// system's virtual time: they would start at vtime anyway, so keeping them
// only costs memory.
func (s *Scheduler) forgetLocked(u *user) {
	if u.running == 0 && len(u.waiting) == 0 && u.tag <= s.vtime {
		delete(s.users, u.id)
	}
}

// eligible reports whether u may get a slot now.
func (s *Scheduler) eligible(u *user) bool {
	return len(u.waiting) > 0 && (s.opts.MaxRunningPerUser <= 0 || u.running < s.opts.MaxRunningPerUser)
}

// advanceLocked jumps the virtual time past every tag when nothing waits
// and nothing runs: an idle system owes nobody, so whoever comes next starts
// level with everyone remembered (and they can be forgotten).
func (s *Scheduler) advanceLocked() {
	if s.busy > 0 {
		return
	}
	for _, u := range s.users {
		if len(u.waiting) > 0 {
			return
		}
	}
	for _, u := range s.users {
		s.vtime = max(s.vtime, u.tag)
	}
}

// startTag is when u's next page would start in virtual time.
func (s *Scheduler) startTag(u *user) float64 {
	return max(u.tag, s.vtime)
}

// dispatchLocked hands free slots to waiters, least served person first;
// ties go to the person who has been waiting longest.
func (s *Scheduler) dispatchLocked() {
	for s.busy < s.opts.Slots {
		s.advanceLocked()
		var best *user
		for _, u := range s.users {
			if !s.eligible(u) {
				continue
			}
			if best == nil {
				best = u
				continue
			}
			su, sb := s.startTag(u), s.startTag(best)
			if su < sb || (su == sb && u.since < best.since) {
				best = u
			}
		}
		if best == nil {
			return
		}
		w := best.waiting[0]
		best.waiting = best.waiting[1:]
		start := s.startTag(best)
		est := best.est
		if est == 0 {
			est = s.avg
		}
		charged := est / best.weight
		best.tag = start + charged
		best.running++
		s.busy++
		w.ready <- &Grant{s: s, u: best, charged: charged, start: time.Now()}
	}
}

func (s *Scheduler) signalLocked() {
	select {
	case s.freed <- struct{}{}:
	default:
	}
}

// SetSlots changes how many pages may be in flight at once, as engine
// capacity comes and goes (cluster worker nodes joining or leaving); 0
// holds every page until slots return. Pages already granted keep their
// slots: with fewer slots than busy ones, no page is granted until enough
// are released. More slots are handed to waiters at once.
func (s *Scheduler) SetSlots(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 0 {
		n = 0
	}
	grew := n > s.opts.Slots
	s.opts.Slots = n
	if grew {
		s.dispatchLocked()
		s.signalLocked()
	}
}

// Slots reports how many pages may be in flight at once.
func (s *Scheduler) Slots() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.Slots
}

// Freed is signalled (coalesced) when a slot is released or a waiter gives
// up, so the caller that opens tasks can look for more work.
func (s *Scheduler) Freed() <-chan struct{} { return s.freed }

// Spare returns how many slots are free with nobody waiting for them,
// less reserved (tasks opened but not yet asking): a positive answer means
// opening another task would put an idle engine to work.
func (s *Scheduler) Spare(reserved int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	waiting := 0
	for _, u := range s.users {
		if s.eligible(u) {
			waiting += len(u.waiting)
		}
	}
	return s.opts.Slots - s.busy - waiting - reserved
}

// Stats reports the slots in use and the pages waiting for one.
func (s *Scheduler) Stats() (busy, waiting int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		waiting += len(u.waiting)
	}
	return s.busy, waiting
}

// Order sorts people by who would be served first if each asked for a
// page now (least served first), for deciding whose queued task to open
// next and for queue positions. ids not known are at the current virtual
// time, in the order given (stable).
func (s *Scheduler) Order(ids []string) {
	s.mu.Lock()
	tags := make(map[string]float64, len(ids))
	for _, id := range ids {
		if u := s.users[id]; u != nil {
			tags[id] = s.startTag(u)
		} else {
			tags[id] = s.vtime
		}
	}
	s.mu.Unlock()
	sort.SliceStable(ids, func(i, j int) bool { return tags[ids[i]] < tags[ids[j]] })
}

// Queue is one person's queued items, in their own order.
type Queue struct {
	UserID string
	Items  []string
}

// Simulate returns the order in which queued items would start if nothing
// else arrived, each item costing its person's estimated page time; ties
// go to the queue listed first (pass them oldest first). It is an estimate
// for "3rd in line" and does not change the scheduler.
func (s *Scheduler) Simulate(queues []Queue) []string {
	type sim struct {
		tag, cost float64
		rest      []string
	}
	people := make([]*sim, 0, len(queues))
	s.mu.Lock()
	for _, q := range queues {
		p := &sim{tag: s.vtime, cost: s.avg, rest: q.Items}
		w := 1.0
		if u := s.users[q.UserID]; u != nil {
			p.tag = s.startTag(u)
			if u.est > 0 {
				p.cost = u.est
			}
			w = u.weight
		} else if s.opts.Weight != nil {
			if x := s.opts.Weight(q.UserID); x > 0 {
				w = x
			}
		}
		p.cost /= w
		people = append(people, p)
	}
	s.mu.Unlock()
	var out []string
	for {
		var best *sim
		for _, p := range people {
			if len(p.rest) > 0 && (best == nil || p.tag < best.tag) {
				best = p
			}
		}
		if best == nil {
			return out
		}
		out = append(out, best.rest[0])
		best.rest = best.rest[1:]
		best.tag += best.cost
	}
}
