package cluster

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// drain empties Changed.
func drain(c *Coordinator) {
	select {
	case <-c.Changed():
	default:
	}
}

func changed(t *testing.T, c *Coordinator, what string) {
	t.Helper()
	select {
	case <-c.Changed():
	case <-time.After(5 * time.Second):
		t.Fatalf("Changed not signalled: %s", what)
	}
}

func TestSlotsFollowNodes(t *testing.T) {
	c := startCoordinator(t)
	if c.Slots() != 0 || c.Free("tesseract") != 0 {
		t.Fatalf("slots %d, free %d with no nodes", c.Slots(), c.Free("tesseract"))
	}
	if _, err := recognize(t, c, "tesseract", []byte("p")); !errors.Is(err, ErrNoWorker) {
		t.Fatalf("no nodes: %v, want ErrNoWorker", err)
	}
	drain(c)
	a := startNode(t, c, "a", 2, newEngines("tesseract", "paddle"))
	changed(t, c, "node a joined")
	waitFor(t, "a's slots", func() bool { return c.Slots() == 2 })
	b := startNode(t, c, "b", 3, newEngines("tesseract"))
	waitFor(t, "b's slots", func() bool { return c.Slots() == 5 })
	for engine, want := range map[string]int{"tesseract": 5, "paddle": 2, "none": 0} {
		if got := c.Free(engine); got != want {
			t.Errorf("Free(%s) = %d, want %d", engine, got, want)
		}
	}
	var names []string
	for _, in := range c.Infos() {
		names = append(names, in.GetName())
	}
	if !slices.Equal(names, []string{"paddle", "tesseract"}) {
		t.Errorf("Infos %v", names)
	}

	// A page running on a node takes a slot until it finishes.
	started, release := make(chan string, 1), make(chan struct{})
	a.eng.set(blocking(started, release))
	b.eng.set(blocking(started, release))
	done := make(chan error, 1)
	go func() {
		_, err := recognize(t, c, "paddle", []byte("p"))
		done <- err
	}()
	<-started
	if f, g := c.Free("paddle"), c.Free("tesseract"); f != 1 || g != 4 {
		t.Errorf("one paddle page in flight: Free paddle %d (want 1), tesseract %d (want 4)", f, g)
	}
	drain(c)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	changed(t, c, "a page finished")
	if f := c.Free("paddle"); f != 2 {
		t.Errorf("Free(paddle) = %d after the page", f)
	}

	// A node cut off is lost after NodeTTL; one stopping says goodbye.
	drain(c)
	b.crash()
	changed(t, c, "node b lost")
	waitFor(t, "b lost", func() bool { return c.Slots() == 2 && c.Stats().NodesLost == 1 })
	a.stop(t)
	waitFor(t, "a gone", func() bool { return c.Slots() == 0 })
	if st := c.Stats(); st.NodesLost != 1 {
		t.Errorf("a clean stop counted as lost: %+v", st)
	}
	nodes := c.Nodes()
	if len(nodes) != 2 || nodes[0].Name != "a" || nodes[0].Up || nodes[1].Name != "b" || nodes[1].Up {
		t.Errorf("nodes %+v, want a and b, both down", nodes)
	}
	if len(c.Infos()) != 0 {
		t.Errorf("Infos of no live node: %v", c.Infos())
	}
}

// Nodes running one engine with different languages offer the languages
// they all have: a page may go to any of them.
func TestInfosMerged(t *testing.T) {
	c := startCoordinator(t)
	a, b := newEngines("tesseract"), newEngines("tesseract")
	b.infos[0].Languages = []string{"eng", "fra"}
	startNode(t, c, "a", 1, a)
	startNode(t, c, "b", 1, b)
	waitFor(t, "nodes", func() bool { return c.Slots() == 2 })
	infos := c.Infos()
	if len(infos) != 1 || !slices.Equal(infos[0].GetLanguages(), []string{"eng"}) {
		t.Fatalf("infos %v, want tesseract with eng only", infos)
	}
}

func TestTokenRequired(t *testing.T) {
	c := startCoordinator(t)
	for _, tok := range []string{"wrong", ""} {
		n, err := NewNode(Options{URL: c.ClientURL(), Token: tok, NodeName: "intruder", timing: fast},
			newEngines("tesseract"), 1, quiet())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = n.Run(ctx)
		cancel()
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization") {
			t.Errorf("token %q: %v, want an authorization error", tok, err)
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("error shows the token: %v", err)
		}
	}
	if c.Slots() != 0 {
		t.Errorf("a node with a wrong token got in")
	}
}

// The only node running the engine is lost while the page waits:
// ErrNoWorker, so the caller can run the page elsewhere.
func TestNodeLostWhilePageWaits(t *testing.T) {
	c := startCoordinator(t, func(o *Options) { o.timing.AckWait = time.Minute })
	started := make(chan string, 1)
	eng := newEngines("tesseract")
	eng.set(blocking(started, make(chan struct{})))
	n := startNode(t, c, "a", 1, eng)
	waitFor(t, "node", func() bool { return c.Slots() == 1 })
	res := make(chan error, 1)
	go func() {
		_, err := recognize(t, c, "tesseract", []byte("p"))
		res <- err
	}()
	<-started
	n.crash()
	select {
	case err := <-res:
		if !errors.Is(err, ErrNoWorker) {
			t.Fatalf("%v, want ErrNoWorker", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Recognize still waits for a lost node")
	}
	if q := queued(t, c); q != 0 {
		t.Errorf("%d jobs left in the stream", q)
	}
}

// A job every node dies on is given up after MaxDeliver deliveries.
func TestMaxDeliveries(t *testing.T) {
	short := func(o *Options) { o.timing.MaxDeliver = 2; o.timing.AckWait = 300 * time.Millisecond }
	c := startCoordinator(t, short)
	res := make(chan error, 1)
	var nodes []*testNode
	started := make(chan string, 3)
	for _, name := range []string{"a", "b", "c"} {
		eng := newEngines("tesseract")
		eng.set(blocking(started, make(chan struct{})))
		nodes = append(nodes, startNode(t, c, name, 1, eng, short))
	}
	waitFor(t, "nodes", func() bool { return c.Slots() == 3 })
	go func() {
		_, err := recognize(t, c, "tesseract", []byte("p"))
		res <- err
	}()
	// Each node that takes the page hangs up without a word.
	for range 2 {
		<-started
		for _, n := range nodes {
			if n.Status().Busy == 1 {
				n.crash()
			}
		}
	}
	select {
	case err := <-res:
		if err == nil || errors.Is(err, ErrNoWorker) || errors.Is(err, sdk.ErrBadImage) || !strings.Contains(err.Error(), "2 nodes") {
			t.Fatalf("%v, want a transient error after 2 deliveries", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Recognize still waits")
	}
}

func TestListNodes(t *testing.T) {
	c := startCoordinator(t)
	a := startNode(t, c, "a", 2, newEngines("tesseract"))
	startNode(t, c, "b", 1, newEngines("ocrad", "tesseract"))
	waitFor(t, "nodes", func() bool { return c.Slots() == 3 })
	a.stop(t)
	opts := Options{URL: c.ClientURL(), Token: testToken, timing: fast}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nodes, err := ListNodes(ctx, opts, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 || nodes[0].Name != "a" || nodes[0].Up || nodes[1].Name != "b" || !nodes[1].Up ||
		!slices.Equal(nodes[1].Engines, []string{"ocrad", "tesseract"}) || nodes[1].Slots != 1 {
		t.Fatalf("nodes %+v, want a down, b up with ocrad and tesseract", nodes)
	}
	opts.Token = "wrong"
	if _, err := ListNodes(ctx, opts, quiet()); err == nil {
		t.Fatal("listed the nodes with a wrong token")
	}
}

func TestLatestRuns(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   []NodeStatus
		want []string
	}{
		{"restarted node: the live run", []NodeStatus{{Name: "a", Instance: "old111", LastSeen: t0},
			{Name: "a", Instance: "new222", LastSeen: t0.Add(time.Minute), Up: true}}, []string{"a"}},
		{"lost twice: the latest", []NodeStatus{{Name: "a", Instance: "old111", LastSeen: t0.Add(time.Minute)},
			{Name: "a", Instance: "new222", LastSeen: t0}}, []string{"a"}},
		{"two live nodes with one name: told apart", []NodeStatus{{Name: "a", Instance: "aaaaaaaa", Up: true, Started: t0},
			{Name: "a", Instance: "bbbbbbbb", Up: true, Started: t0.Add(time.Second)}}, []string{"a", "a~bbbbbb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, n := range latestRuns(tt.in) {
				got = append(got, n.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("%v, want %v", got, tt.want)
			}
		})
	}
}

func TestUserPassword(t *testing.T) {
	c := startCoordinator(t, func(o *Options) { o.Token, o.User, o.Password = "", "ocr", "pw-long-enough" })
	startNode(t, c, "a", 1, newEngines("tesseract"), func(o *Options) { o.Token, o.User, o.Password = "", "ocr", "pw-long-enough" })
	waitFor(t, "node with user and password", func() bool { return c.Slots() == 1 })
	n, err := NewNode(Options{URL: c.ClientURL(), User: "ocr", Password: "wrong", NodeName: "intruder", timing: fast},
		newEngines("tesseract"), 1, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Run(ctx); err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Fatalf("wrong password: %v", err)
	}
}
