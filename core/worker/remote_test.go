package worker_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/engines"
	"github.com/ocrbox/ocrbox/core/worker"
	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/test/testenv"
	"github.com/ocrbox/ocrbox/test/testimage"
)

// poolRemote stands in for the cluster (core/cluster needs NATS; the
// integration tests run that): "nodes" whose slots the test sets, each
// page recognised by a real engine process of a second pool.
type poolRemote struct {
	pool    *engines.Pool
	mu      sync.Mutex
	slots   int
	busy    int
	pages   atomic.Int64
	changed chan struct{}
}

func (r *poolRemote) Recognize(ctx context.Context, engine string, req *sdk.RecognizeRequest, _ time.Duration) (*sdk.RecognizeResponse, error) {
	r.mu.Lock()
	r.busy++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.busy--
		r.mu.Unlock()
		r.signal()
	}()
	proc, err := r.pool.Acquire(ctx, engine)
	if err != nil {
		return nil, err
	}
	defer r.pool.Release(engine, proc)
	eng, err := proc.Engine(ctx)
	if err != nil {
		return nil, err
	}
	r.pages.Add(1)
	return eng.Recognize(ctx, req)
}

func (r *poolRemote) Slots() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.slots
}

func (r *poolRemote) Free(string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.slots - r.busy
}

func (r *poolRemote) Changed() <-chan struct{} { return r.changed }

func (r *poolRemote) setSlots(n int) {
	r.mu.Lock()
	r.slots = n
	r.mu.Unlock()
	r.signal()
}

func (r *poolRemote) signal() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func newPoolRemote(t *testing.T, engine string, processes int) *poolRemote {
	t.Helper()
	pool, err := engines.Start(context.Background(), []engines.Config{{Processes: processes,
		Spec: host.Spec{Name: engine, Kind: sdk.KindEngine, Settings: map[string]string{"dir": t.TempDir()}}}}, slog.New(slog.DiscardHandler))
	if err != nil {
		testenv.RequireOrSkip(t, "start remote engines: %v", err)
	}
	t.Cleanup(pool.Close)
	return &poolRemote{pool: pool, changed: make(chan struct{}, 1)}
}

// A page goes to this server's engine when one is free and to a cluster
// node otherwise; the scheduler's slots follow the nodes' capacity, so
// pages wait while no node is up and run at once when one joins.
func TestRemoteSlots(t *testing.T) {
	remote := newPoolRemote(t, "slow", 2)
	h := newHarness(t, setup{engines: []string{"slow"}, opts: worker.Options{Workers: 1, MaxAttempts: 1,
		PageTimeout: 30 * time.Second, Remote: remote}})
	h.run(t)

	tk := h.submit(t, "eight.tif", "slow", "txt", testimage.GrayTIFF(8))
	h.waitFor(t, tk.ID, 30*time.Second, "running", func(x *domain.Task) bool { return x.PagesDone >= 2 })
	if n := remote.pages.Load(); n != 0 {
		t.Fatalf("%d pages went to nodes while none was up", n)
	}
	remote.setSlots(2)
	done := h.waitTerminal(t, tk.ID, time.Minute)
	wantStatus(t, done, domain.StatusCompleted)
	if n := remote.pages.Load(); n < 2 {
		t.Fatalf("%d of 8 pages went to the nodes after 2 slots came up, want ≥ 2 (the local engine has 1)", n)
	}
	if got := h.pageResults(t, done); len(got) != 8 {
		t.Fatalf("pages stored: %v, want 8", got)
	}
}

// With no engine of its own (ocr.local_engines = false) every page goes
// to the nodes, and pages wait while there are none.
func TestRemoteOnly(t *testing.T) {
	remote := newPoolRemote(t, "slow", 1)
	h := newHarness(t, setup{engines: []string{"slow"}, opts: worker.Options{Workers: 2, MaxAttempts: 1,
		PageTimeout: 30 * time.Second, Remote: remote}})
	h.wk = worker.New(h.store, h.files, nil, h.broker, h.opts, h.log)
	h.svc.SetRunner(h.wk)
	h.run(t)

	tk := h.submit(t, "three.tif", "slow", "txt", testimage.GrayTIFF(3))
	time.Sleep(time.Second)
	if x := h.get(t, tk.ID); x.PagesDone != 0 {
		t.Fatalf("%d pages done with no engine anywhere", x.PagesDone)
	}
	remote.setSlots(1)
	done := h.waitTerminal(t, tk.ID, time.Minute)
	wantStatus(t, done, domain.StatusCompleted)
	if n := remote.pages.Load(); n != 3 {
		t.Fatalf("%d pages went to the nodes, want all 3", n)
	}
}
