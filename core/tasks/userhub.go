package tasks

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// The event types of a user's stream (GET /api/v1/events).
const (
	// EventTask carries a task as the API returns it: created, queued,
	// started, a page done, finished, retried or cancelled.
	EventTask = "task"
	// EventDeleted carries {"id": …} of a task that no longer exists.
	EventDeleted = "deleted"
	// EventReady starts a stream opened without Last-Event-ID; its id is
	// where a reconnection resumes from.
	EventReady = "ready"
	// EventReset says the events since the client's Last-Event-ID cannot be
	// replayed (too old, from before a restart, or the client fell too far
	// behind): it should fetch the tasks it shows again.
	EventReset = "reset"
)

// Reasons of a reset event.
const (
	ResetResumeUnavailable = "resume_unavailable"
	ResetFellBehind        = "fell_behind"
)

// UserEvent is one event of a user's stream. Data is JSON.
type UserEvent struct {
	ID   uint64
	Type string
	Data []byte
}

// UserHubOptions bound the memory of a UserHub; zero values take the defaults.
type UserHubOptions struct {
	// Ring is how many recent events of each user are kept for replay
	// (default 256). A subscriber further behind gets a reset.
	Ring int
	// RingBytes caps the size of the events one user's ring holds (default
	// 256 KiB); the oldest go first.
	RingBytes int
	// Idle is how long a user's recent events are kept after their last
	// stream closed (default 10 minutes): long enough to resume after a
	// network change or a laptop's short sleep.
	Idle time.Duration
}

// UserHub is every user's event stream: each task update goes to the
// owner's recent-events ring, from which the owner's subscribers read.
// Publishers never wait for subscribers: a publish appends to a bounded
// ring and wakes the readers; a reader that falls more than a ring behind
// is told to reset. Event ids grow monotonically per user and start, for
// each ring, at the microseconds of the clock, so ids handed out before a
// restart (or before an idle ring was dropped) are older than any ring's
// start and resume as a reset, never as a silent gap.
type UserHub struct {
	mu        sync.Mutex
	users     map[string]*userLog
	opts      UserHubOptions
	started   time.Time // with its monotonic reading: ids do not follow wall-clock jumps
	base      uint64    // started in µs since the epoch
	floor     uint64    // every id handed out so far is ≤ floor
	lastSweep time.Time
}

// userLog is one user's ring of recent events and their subscribers.
type userLog struct {
	ring  []UserEvent // circular; the newest is at (start+n-1) % len
	start int
	n     int
	bytes int    // of the n events' data
	head  uint64 // id of the newest event; the ring holds head-n+1 … head
	subs  map[*UserSub]struct{}
	idle  time.Time // when the last subscriber left
}

// NewUserHub returns a hub with no subscribers.
func NewUserHub(opts UserHubOptions) *UserHub {
	if opts.Ring <= 0 {
		opts.Ring = 256
	}
	if opts.RingBytes <= 0 {
		opts.RingBytes = 256 << 10
	}
	if opts.Idle <= 0 {
		opts.Idle = 10 * time.Minute
	}
	now := time.Now()
	return &UserHub{users: map[string]*userLog{}, opts: opts, started: now, base: uint64(now.UnixMicro()), lastSweep: now}
}

// clock is the hub's µs clock; h.mu is held.
func (h *UserHub) clock() uint64 {
	return h.base + uint64(time.Since(h.started).Microseconds())
}

// PublishTask puts t on its owner's stream, if the owner has one.
func (h *UserHub) PublishTask(t *domain.Task) {
	if t == nil || t.UserID == "" || !h.listening(t.UserID) {
		return
	}
	data, err := json.Marshal(t)
	if err != nil {
		return
	}
	h.publish(t.UserID, EventTask, data)
}

// PublishDeleted tells the owner's stream that the task is gone.
func (h *UserHub) PublishDeleted(userID, taskID string) {
	if userID == "" || !h.listening(userID) {
		return
	}
	data, _ := json.Marshal(struct {
		ID string `json:"id"`
	}{taskID})
	h.publish(userID, EventDeleted, data)
}

// listening reports whether the user has a ring (a stream open, or closed
// less than Idle ago). Events of other users are not even encoded.
func (h *UserHub) listening(userID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.users[userID] != nil
}

// publish appends one event to the user's ring and wakes their readers.
// The caller encodes outside the lock; calls made one after the other
// keep their order.
func (h *UserHub) publish(userID, typ string, data []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.users[userID]
	if l == nil {
		return
	}
	l.head++
	h.floor = max(h.floor, l.head)
	for l.n > 0 && (l.n == len(l.ring) || l.bytes+len(data) > h.opts.RingBytes) {
		l.bytes -= len(l.ring[l.start].Data) // drop the oldest
		l.ring[l.start] = UserEvent{}
		l.start = (l.start + 1) % len(l.ring)
		l.n--
	}
	l.ring[(l.start+l.n)%len(l.ring)] = UserEvent{ID: l.head, Type: typ, Data: data}
	l.n++
	l.bytes += len(data)
	for s := range l.subs {
		select {
		case s.wake <- struct{}{}:
		default: // already woken: it reads everything up to head
		}
	}
	h.sweep()
}

// Subscribe opens a stream of the user's events. lastEventID is the id of
// the last event the client saw (the Last-Event-ID header), "" for a new
// stream. The first Next returns, for a new stream, a ready event; for a
// resumable id, the events after it; otherwise a reset event. Close ends
// the subscription.
func (h *UserHub) Subscribe(userID, lastEventID string) *UserSub {
	userID = strings.Clone(userID) // the key outlives the request that named it
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.users[userID]
	if l == nil {
		// Strictly newer than every id handed out before, so an id from an
		// earlier ring of this user (or an earlier run) cannot resume here.
		head := max(h.clock(), h.floor+1)
		h.floor = head
		l = &userLog{ring: make([]UserEvent, h.opts.Ring), head: head, subs: map[*UserSub]struct{}{}}
		h.users[userID] = l
	}
	s := &UserSub{hub: h, log: l, wake: make(chan struct{}, 1)}
	l.subs[s] = struct{}{}
	last, err := strconv.ParseUint(strings.TrimSpace(lastEventID), 10, 64)
	switch {
	case lastEventID == "":
		s.cursor, s.first = l.head, &UserEvent{ID: l.head, Type: EventReady, Data: []byte("{}")}
	case err != nil || last > l.head || last < l.head-uint64(l.n):
		s.cursor, s.first = l.head, resetEvent(l.head, ResetResumeUnavailable)
	default:
		s.cursor = last
	}
	s.wake <- struct{}{}
	h.sweep()
	return s
}

func resetEvent(id uint64, reason string) *UserEvent {
	data, _ := json.Marshal(struct {
		Reason string `json:"reason"`
	}{reason})
	return &UserEvent{ID: id, Type: EventReset, Data: data}
}

// sweep drops the rings of users whose last stream closed more than Idle
// ago, at most once a minute; h.mu is held.
func (h *UserHub) sweep() {
	now := time.Now()
	if now.Sub(h.lastSweep) < time.Minute {
		return
	}
	h.lastSweep = now
	for id, l := range h.users {
		if len(l.subs) == 0 && now.Sub(l.idle) > h.opts.Idle {
			delete(h.users, id)
		}
	}
}

// Users is how many users have a ring (for tests and metrics).
func (h *UserHub) Users() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.users)
}

// UserSub is one open stream of a user's events.
type UserSub struct {
	hub    *UserHub
	log    *userLog
	wake   chan struct{}
	cursor uint64     // id of the last event handed out
	first  *UserEvent // ready or reset, handed out before anything else
	closed bool
}

// Wake has a value whenever Next has something new.
func (s *UserSub) Wake() <-chan struct{} { return s.wake }

// Next returns the events after the last one it returned, oldest first.
// A subscriber that fell more than a ring behind gets one reset event
// instead, and continues from the newest event.
func (s *UserSub) Next() []UserEvent {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	l := s.log
	var out []UserEvent
	if s.first != nil {
		out = append(out, *s.first)
		s.first = nil
	}
	if s.cursor < l.head-uint64(l.n) {
		s.cursor = l.head
		return append(out, *resetEvent(l.head, ResetFellBehind))
	}
	for i := l.n - int(l.head-s.cursor); i < l.n; i++ {
		out = append(out, l.ring[(l.start+i)%len(l.ring)])
	}
	s.cursor = l.head
	return out
}

// Close ends the subscription; the user's ring stays for Idle so that the
// client can resume. A second call is harmless.
func (s *UserSub) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	delete(s.log.subs, s)
	if len(s.log.subs) == 0 {
		s.log.idle = time.Now()
	}
}
