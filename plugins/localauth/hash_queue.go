package localauth

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// releaseAfter is how long the queue must stay empty before hash memory is
// handed back to the OS: long enough that a burst of sign-ins reuses it,
// short enough that the process is small again soon after.
const releaseAfter = time.Second

// hashQueue runs argon2 computations at most `slots` at a time; the others
// wait in line (FIFO: a channel's blocked senders are served in order)
// until their turn or until their context ends. Each hash allocates its full
// memory cost, so the bound keeps a burst of sign-ins at slots × m of hash
// memory, and with no more hashes than cores each one runs at full speed:
// the k-th of a burst finishes after about k/slots hash times instead of
// all of them finishing late together.
//
// When the queue has been empty for releaseAfter, the memory is returned to
// the OS (debug.FreeOSMemory): Go would otherwise keep the freed argon2
// blocks mapped, and the plugin would sit at its peak size while idle.
type hashQueue struct {
	slots chan struct{}

	mu           sync.Mutex
	pending      int           // hashes waiting or running
	timer        *time.Timer   // scheduled release, nil if none
	releaseAfter time.Duration // idle time before release
	release      func()        // debug.FreeOSMemory; tests count calls
}

// newHashQueue allows n hashes at once; n < 1 means GOMAXPROCS (the CPUs
// this process may use, which Go derives from the cgroup quota too).
func newHashQueue(n int) *hashQueue {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	return &hashQueue{slots: make(chan struct{}, n), releaseAfter: releaseAfter, release: debug.FreeOSMemory}
}

// do runs f when a slot is free, or returns ctx's error if ctx ends first
// (f is then not run).
func (q *hashQueue) do(ctx context.Context, f func()) error {
	q.enter()
	defer q.leave()
	select {
	case q.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-q.slots }()
	f()
	return nil
}

func (q *hashQueue) enter() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending++
	if q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
}

func (q *hashQueue) leave() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending--
	if q.pending > 0 {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(q.releaseAfter, func() {
		q.mu.Lock()
		idle := q.pending == 0 && q.timer == t
		if idle {
			q.timer = nil
		}
		q.mu.Unlock()
		if idle {
			q.release()
		}
	})
	q.timer = t
}
