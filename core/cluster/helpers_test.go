package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

const testToken = "s3cret-test-token"

// fast are the protocol intervals of the tests: a lost node or job shows
// within a second.
var fast = timing{AckWait: time.Second, Heartbeat: 100 * time.Millisecond, NodeTTL: time.Second,
	Poll: 50 * time.Millisecond}

func quiet() *slog.Logger {
	if os.Getenv("CLUSTER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startCoordinator embeds a NATS server on a free loopback port.
func startCoordinator(t *testing.T, mod ...func(*Options)) *Coordinator {
	t.Helper()
	opts := Options{Listen: "127.0.0.1:0", Token: testToken, StoreDir: t.TempDir(), NodeName: "serve", timing: fast}
	for _, m := range mod {
		m(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := StartCoordinator(ctx, opts, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// testNode is a running node with its own context.
type testNode struct {
	*Node
	eng    *fakeEngines
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned, with err
	err    error
}

// stop ends the node cleanly (its pages are given back) and waits.
func (n *testNode) stop(t *testing.T) {
	t.Helper()
	n.cancel()
	select {
	case <-n.done:
		if n.err != nil {
			t.Errorf("node %s: %v", n.name, n.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("node %s did not stop", n.name)
	}
}

// crash cuts the node off without a goodbye, as a killed process or a
// cut cable would: no acks, no heartbeats.
func (n *testNode) crash() {
	n.nc.Load().Close()
	n.pc.Load().Close()
}

func startNode(t *testing.T, c *Coordinator, name string, slots int, eng *fakeEngines, mod ...func(*Options)) *testNode {
	t.Helper()
	opts := Options{URL: c.ClientURL(), Token: testToken, NodeName: name, Version: "test", timing: fast}
	for _, m := range mod {
		m(&opts)
	}
	node, err := NewNode(opts, eng, slots, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &testNode{Node: node, eng: eng, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(n.done)
		n.err = node.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-n.done
	})
	return n
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fakeEngines is a node's engines: each page is answered by fn (default:
// the image's digest and size as text).
type fakeEngines struct {
	infos []*sdk.EngineInfo
	path  bool // engines read pages from files

	mu    sync.Mutex
	fn    func(ctx context.Context, engine string, req *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error)
	calls int
	reqs  []*sdk.RecognizeRequest
}

func newEngines(names ...string) *fakeEngines {
	e := &fakeEngines{}
	for _, n := range names {
		e.infos = append(e.infos, &sdk.EngineInfo{Name: n, Version: "1", Languages: []string{"eng", "deu"},
			Outputs: []string{"txt", "json"}, ProtocolVersion: sdk.ProtocolVersion})
	}
	return e
}

func (e *fakeEngines) Infos(context.Context) []*sdk.EngineInfo { return e.infos }
func (e *fakeEngines) AcceptsPath(string) bool                 { return e.path }

func (e *fakeEngines) Recognize(ctx context.Context, engine string, req *sdk.RecognizeRequest, timeout time.Duration) (*sdk.RecognizeResponse, error) {
	e.mu.Lock()
	e.calls++
	e.reqs = append(e.reqs, req)
	fn := e.fn
	e.mu.Unlock()
	img := req.GetImage()
	if req.GetImagePath() != "" {
		var err error
		if img, err = os.ReadFile(req.GetImagePath()); err != nil {
			return nil, err
		}
	}
	if fn != nil {
		return fn(ctx, engine, req)
	}
	return &sdk.RecognizeResponse{Text: digest(img)}, nil
}

func (e *fakeEngines) set(fn func(ctx context.Context, engine string, req *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error)) {
	e.mu.Lock()
	e.fn = fn
	e.mu.Unlock()
}

func (e *fakeEngines) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return fmt.Sprintf("%d:%s", len(b), hex.EncodeToString(s[:8]))
}

// blocking makes every page wait until release is closed (or ctx ends),
// telling started about each page begun.
func blocking(started chan<- string, release <-chan struct{}) func(ctx context.Context, engine string, req *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
	return func(ctx context.Context, engine string, req *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
		started <- string(req.GetImage())
		select {
		case <-release:
			return &sdk.RecognizeResponse{Text: "done " + string(req.GetImage())}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

var errBoom = errors.New("engine exploded")

type natsMsg = nats.Msg

var newMsg = nats.NewMsg
