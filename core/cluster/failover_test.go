package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

func TestTwoNodesShareJobs(t *testing.T) {
	c := startCoordinator(t)
	slow := func(ctx context.Context, _ string, req *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
		time.Sleep(150 * time.Millisecond)
		return &sdk.RecognizeResponse{Text: string(req.GetImage())}, nil
	}
	a, b := newEngines("tesseract"), newEngines("tesseract")
	a.set(slow)
	b.set(slow)
	startNode(t, c, "a", 2, a)
	startNode(t, c, "b", 2, b)
	waitFor(t, "nodes", func() bool { return c.Slots() == 4 })

	const pages = 8
	var wg sync.WaitGroup
	errs := make(chan error, pages)
	for i := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := fmt.Sprintf("page %d", i)
			resp, err := recognize(t, c, "tesseract", []byte(want))
			if err == nil && resp.GetText() != want {
				err = fmt.Errorf("page %d came back as %q", i, resp.GetText())
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if a.count()+b.count() != pages || a.count() == 0 || b.count() == 0 {
		t.Errorf("node a did %d pages, b %d; want %d in all, shared", a.count(), b.count(), pages)
	}
}

// A node that dies mid-page (no ack, no heartbeat) loses nothing: the job
// goes to the other node after AckWait, and Recognize returns once.
func TestNodeCrashMidPageRedelivers(t *testing.T) {
	c := startCoordinator(t)
	started := make(chan string, 1)
	a := newEngines("tesseract")
	a.set(blocking(started, make(chan struct{}))) // never finishes
	na := startNode(t, c, "a", 1, a)
	waitFor(t, "node a", func() bool { return c.Free("tesseract") == 1 })

	res := make(chan error, 1)
	var resp *sdk.RecognizeResponse
	go func() {
		var err error
		resp, err = recognize(t, c, "tesseract", []byte("p1"))
		res <- err
	}()
	<-started
	b := newEngines("tesseract")
	startNode(t, c, "b", 1, b)
	time.Sleep(2 * fast.AckWait) // node a keeps the page while it lives
	if b.count() != 0 {
		t.Fatalf("node b got the page while node a was working on it")
	}
	na.crash()
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the page was not redelivered")
	}
	if resp.GetText() != digest([]byte("p1")) || b.count() != 1 {
		t.Fatalf("result %q, node b ran %d pages", resp.GetText(), b.count())
	}
	st := c.Stats()
	if st.Results != 1 || st.Redeliveries != 1 {
		t.Errorf("stats %+v: want 1 result with 1 redelivery", st)
	}
	waitFor(t, "node a lost", func() bool { return c.Stats().NodesLost == 1 })
	waitFor(t, "node b's counters", func() bool {
		for _, n := range c.Nodes() {
			if n.Name == "b" {
				return n.Up && n.Redelivered == 1 && n.Done == 1
			}
		}
		return false
	})
	for _, n := range c.Nodes() {
		if n.Name == "a" && n.Up {
			t.Errorf("node a is up after its crash: %+v", n)
		}
	}
}

// A node stopping cleanly gives its pages back at once (NAK): the other
// node takes them without waiting for AckWait.
func TestNodeStopGivesPagesBack(t *testing.T) {
	c := startCoordinator(t, func(o *Options) { o.timing.AckWait = time.Minute })
	started := make(chan string, 1)
	a := newEngines("tesseract")
	a.set(blocking(started, make(chan struct{})))
	na := startNode(t, c, "a", 1, a, func(o *Options) { o.timing.AckWait = time.Minute })
	waitFor(t, "node a", func() bool { return c.Free("tesseract") == 1 })
	res := make(chan error, 1)
	go func() {
		_, err := recognize(t, c, "tesseract", []byte("p1"))
		res <- err
	}()
	<-started
	b := newEngines("tesseract")
	startNode(t, c, "b", 1, b, func(o *Options) { o.timing.AckWait = time.Minute })
	t0 := time.Now()
	na.stop(t)
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 5*time.Second || b.count() != 1 {
		t.Fatalf("page done by node b (%d) after %s; want at once", b.count(), d)
	}
	if st := c.Stats(); st.NodesLost != 0 {
		t.Errorf("a clean stop counted as a lost node: %+v", st)
	}
}

// A result for a job nobody waits for (the late twin of a redelivered
// page) is dropped and counted.
func TestDuplicateResultDropped(t *testing.T) {
	c := startCoordinator(t)
	eng := newEngines("tesseract")
	startNode(t, c, "a", 1, eng)
	waitFor(t, "node", func() bool { return c.Free("tesseract") == 1 })
	results := make(chan *natsMsg, 4)
	sub, err := c.nc.ChanSubscribe(resultsSubj, results)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if _, err := recognize(t, c, "tesseract", []byte("p1")); err != nil {
		t.Fatal(err)
	}
	first := <-results
	twin := newMsg(resultsSubj)
	for k, v := range first.Header {
		if k != "Nats-Msg-Id" { // a retried publish of the same result is dropped by JetStream itself
			twin.Header[k] = v
		}
	}
	twin.Data = []byte("not a protobuf: must never be decoded")
	if _, err := c.js.PublishMsg(context.Background(), twin); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "duplicate counted", func() bool { return c.Stats().Duplicates == 1 })
	if resp, err := recognize(t, c, "tesseract", []byte("p2")); err != nil || resp.GetText() != digest([]byte("p2")) {
		t.Fatalf("next page: %v, %v", resp, err)
	}
	if st := c.Stats(); st.Results != 2 {
		t.Errorf("stats %+v", st)
	}
}

// Cancelling Recognize deletes a queued job at once, and stops a page a
// node is running.
func TestCancelRemovesJob(t *testing.T) {
	c := startCoordinator(t)
	started := make(chan string, 2)
	release := make(chan struct{})
	eng := newEngines("tesseract")
	eng.set(blocking(started, release))
	startNode(t, c, "a", 1, eng)
	waitFor(t, "node", func() bool { return c.Free("tesseract") == 1 })

	ctx1, cancel1 := context.WithCancel(context.Background())
	res1 := make(chan error, 1)
	go func() {
		_, err := c.Recognize(ctx1, "tesseract", &sdk.RecognizeRequest{Image: []byte("p1")}, time.Minute)
		res1 <- err
	}()
	<-started // p1 runs on the node's only slot
	if f := c.Free("tesseract"); f != 0 {
		t.Errorf("Free %d with the only slot busy", f)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	res2 := make(chan error, 1)
	go func() {
		_, err := c.Recognize(ctx2, "tesseract", &sdk.RecognizeRequest{Image: []byte("p2")}, time.Minute)
		res2 <- err
	}()
	waitFor(t, "p2 queued", func() bool { return queued(t, c) == 2 })
	cancel2()
	if err := <-res2; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Recognize: %v", err)
	}
	if n := queued(t, c); n != 1 {
		t.Fatalf("%d jobs in the stream after the cancel, want 1 (p1 running)", n)
	}
	cancel1() // p1 is running: the node is told to stop it
	if err := <-res1; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Recognize: %v", err)
	}
	waitFor(t, "p1 stopped on the node", func() bool {
		n := c.Nodes()
		return len(n) == 1 && n[0].Busy == 0
	})
	close(release)
	if eng.count() != 1 {
		t.Errorf("the engine saw %d pages, want 1 (p2 was cancelled while queued)", eng.count())
	}
	if n := queued(t, c); n != 0 {
		t.Errorf("%d jobs left in the stream", n)
	}
}

func queued(t *testing.T, c *Coordinator) int {
	t.Helper()
	info, err := c.jobs.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(info.State.Msgs)
}

// The pages of a node found lost go to another node at once (the
// coordinator NAKs them), not after AckWait.
func TestLostNodesPagesGoBackAtOnce(t *testing.T) {
	long := func(o *Options) { o.timing.AckWait = time.Minute }
	c := startCoordinator(t, long)
	started := make(chan string, 1)
	a := newEngines("tesseract")
	a.set(blocking(started, make(chan struct{})))
	na := startNode(t, c, "a", 1, a, long)
	waitFor(t, "node a", func() bool { return c.Slots() == 1 })
	res := make(chan error, 1)
	go func() {
		_, err := recognize(t, c, "tesseract", []byte("p1"))
		res <- err
	}()
	<-started
	b := newEngines("tesseract")
	startNode(t, c, "b", 1, b, long)
	waitFor(t, "a reports its page", func() bool {
		for _, n := range c.Nodes() {
			if n.Name == "a" && n.Busy == 1 {
				return true
			}
		}
		return false
	})
	t0 := time.Now()
	na.crash()
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lost node's page waits for AckWait")
	}
	if b.count() != 1 {
		t.Errorf("node b ran %d pages", b.count())
	}
	t.Logf("page redone %s after the crash (node TTL %s)", time.Since(t0).Round(time.Millisecond), fast.NodeTTL)
}

// A node cut off from NATS mid-page: its page is done by another node;
// when the link comes back the node rejoins, and its late result for the
// page is dropped as a duplicate.
func TestNetworkCut(t *testing.T) {
	c := startCoordinator(t)
	proxy := newCutProxy(t, strings.TrimPrefix(c.ClientURL(), "nats://"), 0)
	started, release := make(chan string, 1), make(chan struct{})
	a := newEngines("tesseract")
	a.set(blocking(started, release))
	na := startNode(t, c, "a", 1, a, func(o *Options) { o.URL = proxy.url() })
	waitFor(t, "node a", func() bool { return c.Slots() == 1 })
	res := make(chan error, 1)
	go func() {
		_, err := recognize(t, c, "tesseract", []byte("p1"))
		res <- err
	}()
	<-started
	b := newEngines("tesseract")
	nb := startNode(t, c, "b", 1, b)
	waitFor(t, "node b", func() bool { return c.Slots() == 2 })

	proxy.cut()
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cut-off node's page was not redone")
	}
	if b.count() != 1 {
		t.Fatalf("node b ran %d pages", b.count())
	}
	waitFor(t, "node a lost", func() bool { return c.Slots() == 1 })
	if na.Connected() {
		t.Error("node a says it is connected through a cut link")
	}

	proxy.heal()
	waitFor(t, "node a back", func() bool { return c.Slots() == 2 && na.Connected() })
	close(release) // a finishes the page it held: its result comes late
	waitFor(t, "late result dropped", func() bool { return c.Stats().Duplicates == 1 })
	waitFor(t, "a's page counted", func() bool { return na.Status().Done == 1 && na.Status().Busy == 0 })
	if st := c.Stats(); st.Results != 1 {
		t.Errorf("stats %+v: want one result", st)
	}
	// Node a takes pages again.
	a.set(nil)
	nb.stop(t)
	if _, err := recognize(t, c, "tesseract", []byte("p2")); err != nil {
		t.Fatal(err)
	}
	if a.count() != 2 {
		t.Errorf("node a ran no page after it came back (%d calls)", a.count())
	}
}
