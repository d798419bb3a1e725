package cluster

import (
	"context"
	"net"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// serve restarting while its nodes run: the new coordinator starts clean
// (what the old one left is purged, a stream of an older layout remade)
// and the nodes reconnect and take pages again.
func TestCoordinatorRestart(t *testing.T) {
	store := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	same := func(o *Options) { o.Listen, o.StoreDir = addr, store }
	c1 := startCoordinator(t, same)
	eng := newEngines("tesseract")
	n := startNode(t, c1, "a", 1, eng)
	waitFor(t, "node", func() bool { return c1.Slots() == 1 })
	if _, err := recognize(t, c1, "tesseract", []byte("p1")); err != nil {
		t.Fatal(err)
	}
	// Leftovers: an object, and the jobs stream on disk as an older
	// version kept it, with a job in it.
	ctx := context.Background()
	if _, err := c1.blobs.PutBytes(ctx, "image/old", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := c1.js.DeleteStream(ctx, jobsStream); err != nil {
		t.Fatal(err)
	}
	if _, err := c1.js.CreateStream(ctx, jetstream.StreamConfig{Name: jobsStream, Subjects: []string{jobsPrefix + ">"},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := c1.js.Publish(ctx, jobSubject("tesseract"), []byte("stale")); err != nil {
		t.Fatal(err)
	}
	c1.Close()
	waitFor(t, "node sees the outage", func() bool { return !n.Connected() })

	c2 := startCoordinator(t, same)
	info, err := c2.jobs.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Storage != jetstream.MemoryStorage || info.State.Msgs != 0 {
		t.Errorf("jobs stream after restart: %v storage, %d messages; want memory, empty", info.Config.Storage, info.State.Msgs)
	}
	if n := objects(t, c2); n != 0 {
		t.Errorf("%d objects survived the restart", n)
	}
	waitFor(t, "node back", func() bool { return c2.Slots() == 1 && n.Connected() })
	resp, err := recognize(t, c2, "tesseract", []byte("p2"))
	if err != nil || resp.GetText() != digest([]byte("p2")) {
		t.Fatalf("page after the restart: %v %v", resp, err)
	}
	if eng.count() != 2 {
		t.Errorf("the engine ran %d pages, want 2 (the stale job purged)", eng.count())
	}
}
