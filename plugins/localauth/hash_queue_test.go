package localauth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// At most n run at once; the others wait their turn and all run.
func TestHashQueueBoundsConcurrency(t *testing.T) {
	q := newHashQueue(2)
	q.release = func() {}
	var running, peak, done atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			err := q.do(t.Context(), func() {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				time.Sleep(5 * time.Millisecond)
				running.Add(-1)
				done.Add(1)
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if peak.Load() != 2 || done.Load() != 12 {
		t.Fatalf("peak %d running at once (want 2), %d of 12 done", peak.Load(), done.Load())
	}
}

// A caller whose context ends while waiting leaves the line without
// running; the slot holder is unaffected.
func TestHashQueueWaitHonoursContext(t *testing.T) {
	q := newHashQueue(1)
	q.release = func() {}
	hold, held := make(chan struct{}), make(chan struct{})
	go q.do(t.Context(), func() { close(held); <-hold })
	<-held
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	ran := false
	if err := q.do(ctx, func() { ran = true }); !errors.Is(err, context.DeadlineExceeded) || ran {
		t.Fatalf("do while full = %v (ran %v), want DeadlineExceeded without running", err, ran)
	}
	close(hold)
	if err := q.do(t.Context(), func() { ran = true }); err != nil || !ran {
		t.Fatalf("do after the slot freed = %v (ran %v)", err, ran)
	}
}

// Memory goes back to the OS once, after the queue has stayed empty, not
// between the hashes of a burst.
func TestHashQueueReleasesWhenIdle(t *testing.T) {
	q := newHashQueue(1)
	q.releaseAfter = 300 * time.Millisecond
	var released atomic.Int32
	q.release = func() { released.Add(1) }
	for range 5 { // a burst: each new hash cancels the pending release
		if err := q.do(t.Context(), func() { time.Sleep(5 * time.Millisecond) }); err != nil {
			t.Fatal(err)
		}
	}
	if n := released.Load(); n != 0 {
		t.Fatalf("released %d times during the burst", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for released.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(2 * q.releaseAfter)
	if n := released.Load(); n != 1 {
		t.Fatalf("released %d times after the burst, want 1", n)
	}
}
