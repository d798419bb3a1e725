package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Remote is the cluster as the worker sees it (core/cluster.Coordinator):
// engine slots on other machines that take pages over NATS JetStream.
type Remote interface {
	// Recognize runs one page on a node; errors wrap sdk.ErrBadImage or
	// sdk.ErrUnsupported as a local engine's would, others are transient.
	Recognize(ctx context.Context, engine string, req *sdk.RecognizeRequest, pageTimeout time.Duration) (*sdk.RecognizeResponse, error)
	// Slots is every live node's page slots in all.
	Slots() int
	// Free is how many more pages of engine the nodes take now.
	Free(engine string) int
	// Changed is signalled when nodes come, go or free a slot.
	Changed() <-chan struct{}
}

// slots is how many pages may be in flight: this server's engine
// processes and the live cluster nodes' slots.
func (w *Worker) slots() int {
	n := 0
	if w.engines != nil {
		n = w.opts.Workers
	}
	if w.opts.Remote != nil {
		n += w.opts.Remote.Slots()
	}
	return n
}

// followCapacity keeps the scheduler's slots equal to the cluster's
// capacity and wakes pages waiting for an engine, until ctx ends.
func (w *Worker) followCapacity(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.opts.Remote.Changed():
		}
		if n := w.slots(); n != w.sched.Slots() {
			w.log.Info("engine slots changed", "slots", n)
			w.sched.SetSlots(n)
		}
		w.capMu.Lock()
		close(w.capacity)
		w.capacity = make(chan struct{})
		w.capMu.Unlock()
	}
}

// capacityChanged is closed at the next change of the cluster's capacity.
func (w *Worker) capacityChanged() <-chan struct{} {
	w.capMu.Lock()
	defer w.capMu.Unlock()
	return w.capacity
}

// slotPoll bounds how long a page waits before looking again for a free
// engine: local processes coming free do not signal.
const slotPoll = 50 * time.Millisecond

// recognizeOnce runs one page on a free engine: one of this server's
// processes if one is free, else a cluster node with a free slot for the
// engine, else it waits for either. The fair-share scheduler has already
// granted the page a slot, so the wait is short: it covers only a page
// whose engine runs on part of the cluster.
func (w *Worker) recognizeOnce(ctx context.Context, engine string, req *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
	if w.opts.Remote == nil {
		proc, err := w.engines.Acquire(ctx, engine)
		if err != nil {
			return nil, err
		}
		return w.recognizeLocal(ctx, engine, proc, req)
	}
	waited := time.Now()
	for {
		if w.engines != nil {
			if proc, ok := w.engines.TryAcquire(engine); ok {
				return w.recognizeLocal(ctx, engine, proc, req)
			}
		}
		if w.opts.Remote.Free(engine) > 0 {
			return w.opts.Remote.Recognize(ctx, engine, req, w.opts.PageTimeout)
		}
		if (w.engines == nil || !w.engines.Has(engine)) && time.Since(waited) > w.opts.PageTimeout {
			// No node with this engine came within a page's time: fail the
			// attempt (transient; retried with backoff, then the task fails
			// retryable).
			return nil, fmt.Errorf("no cluster node runs engine %q", engine)
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-w.capacityChanged():
		case <-time.After(slotPoll):
		}
	}
}
