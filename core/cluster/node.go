package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Node is `ocrbox worker`: it takes page jobs for its engines while it has
// free slots and returns their results.
type Node struct {
	opts     Options
	t        timing
	eng      Engines
	slots    int
	log      *slog.Logger
	name     string
	instance string
	host     string
	started  time.Time

	nc    atomic.Pointer[nats.Conn] // jobs and results
	pc    atomic.Pointer[nats.Conn] // presence and cancels: never queued behind a large page
	mu    sync.Mutex
	busy  int
	pages map[string]running // by job id
	freed chan struct{}      // a slot was freed (buffered 1)

	done, failed, redeliv atomic.Int64
}

// NewNode prepares a node offering slots page slots (its --workers) on the
// engines of eng; Run connects it.
func NewNode(opts Options, eng Engines, slots int, log *slog.Logger) (*Node, error) {
	if opts.URL == "" {
		return nil, errors.New("worker: no cluster URL (--join or cluster.url)")
	}
	if slots < 1 {
		return nil, fmt.Errorf("worker: %d slots; need at least 1", slots)
	}
	host, _ := os.Hostname()
	name := opts.NodeName
	if name == "" {
		name = host
	}
	if name == "" {
		return nil, errors.New("worker: no node name and no host name")
	}
	return &Node{opts: opts, t: opts.timing.withDefaults(), eng: eng, slots: slots,
		log: log.With("node", name), name: name, instance: nuid.Next(), host: host, started: time.Now().UTC(),
		pages: map[string]running{}, freed: make(chan struct{}, 1)}, nil
}

// RunNode runs a node until ctx ends (see Node.Run).
func RunNode(ctx context.Context, opts Options, eng Engines, slots int, log *slog.Logger) error {
	n, err := NewNode(opts, eng, slots, log)
	if err != nil {
		return err
	}
	return n.Run(ctx)
}

// Name is the node's name in logs and the workers list.
func (n *Node) Name() string { return n.name }

// Connected reports whether the node is connected to the cluster now.
func (n *Node) Connected() bool {
	nc := n.nc.Load()
	return nc != nil && nc.IsConnected()
}

// Status is the node's own view of itself (what it advertises).
func (n *Node) Status() NodeStatus {
	n.mu.Lock()
	busy := n.busy
	n.mu.Unlock()
	return NodeStatus{Name: n.name, Instance: n.instance, Host: n.host, Version: n.opts.Version,
		Slots: n.slots, Busy: busy, Done: n.done.Load(), Failed: n.failed.Load(),
		Redelivered: n.redeliv.Load(), Started: n.started, LastSeen: time.Now().UTC(), Up: n.Connected()}
}

// Run connects to opts.URL (retrying while nobody answers; refused
// credentials fail at once), advertises the node's engines and slots,
// and takes a job whenever a slot is free, until ctx ends. Then the pages
// in flight are given back (NAK: another node takes them at once) and the
// node says goodbye.
func (n *Node) Run(ctx context.Context) error {
	infos := n.eng.Infos(ctx)
	if len(infos) == 0 {
		return errors.New("worker: no engines to offer")
	}
	engines := make([]string, 0, len(infos))
	for _, in := range infos {
		engines = append(engines, in.GetName())
	}
	nc, err := connect(ctx, n.opts.URL, n.opts, "ocrbox-worker "+n.name, n.log, true)
	if err != nil {
		return err
	}
	n.nc.Store(nc)
	defer nc.Close()
	// Heartbeats go on a connection of their own: on one link, a large page
	// or result in transit would hold them back, and a node busy sending
	// would look lost. Its outages are the jobs connection's: logged once.
	pc, err := connect(ctx, n.opts.URL, n.opts, "ocrbox-worker "+n.name+" presence", quietLog(n.log), true)
	if err != nil {
		return err
	}
	n.pc.Store(pc)
	defer pc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("worker jetstream: %w", err)
	}
	a, err := n.bind(ctx, js)
	if err != nil {
		return err
	}
	pjs, err := jetstream.New(pc)
	if err != nil {
		return fmt.Errorf("worker jetstream: %w", err)
	}
	kv, err := pjs.KeyValue(ctx, nodesBucket)
	if err != nil {
		return fmt.Errorf("worker nodes bucket: %w", err)
	}
	n.log.Info("worker node ready", "engines", engines, "slots", n.slots, "server", nc.ConnectedUrlRedacted())

	bell := make(chan struct{}, 1)
	for _, e := range engines {
		sub, err := nc.Subscribe(bellSubject(e), func(*nats.Msg) { poke(bell) })
		if err != nil {
			return fmt.Errorf("worker subscribe: %w", err)
		}
		defer sub.Unsubscribe()
	}
	cancelSub, err := pc.Subscribe(cancelSubj, func(m *nats.Msg) { n.cancelPage(string(m.Data)) })
	if err != nil {
		return fmt.Errorf("worker subscribe: %w", err)
	}
	defer cancelSub.Unsubscribe()

	var pages sync.WaitGroup
	hb := make(chan struct{})
	go func() {
		defer close(hb)
		n.heartbeat(ctx, kv, infos, engines)
	}()
	n.takeJobs(ctx, js, engines, a, bell, &pages)
	pages.Wait() // each NAKed or finished
	<-hb
	n.log.Info("worker node stopped", "pages_done", n.done.Load(), "pages_failed", n.failed.Load())
	return nil
}

// assets are the JetStream handles a node uses.
type assets struct {
	js    jetstream.JetStream
	blobs jetstream.ObjectStore
}

// bind waits for the coordinator's assets, logging once while they are
// missing (serve not started yet).
func (n *Node) bind(ctx context.Context, js jetstream.JetStream) (assets, error) {
	for logged := false; ; {
		a := assets{js: js}
		_, err := js.Stream(ctx, jobsStream)
		if err == nil {
			_, err = js.KeyValue(ctx, nodesBucket)
		}
		if err == nil {
			a.blobs, err = js.ObjectStore(ctx, blobsBucket)
		}
		if err == nil {
			return a, nil
		}
		if !logged {
			n.log.Warn("waiting for the coordinator (ocrbox serve) to set the cluster up", "error", err)
			logged = true
		}
		select {
		case <-ctx.Done():
			return a, context.Cause(ctx)
		case <-time.After(time.Second):
		}
	}
}

// heartbeat puts the node's status into the nodes bucket every Heartbeat
// until ctx ends, then says goodbye.
func (n *Node) heartbeat(ctx context.Context, kv jetstream.KeyValue, infos []*sdk.EngineInfo, engines []string) {
	key := nodeKey(n.name, n.instance)
	put := func(ctx context.Context, stopped bool) {
		st := n.Status()
		st.Engines = engines
		data, err := encodePresence(st, infos, n.holding(), stopped)
		if err == nil {
			_, err = kv.Put(ctx, key, data)
		}
		if err != nil {
			n.log.Debug("node status not stored", "error", err) // outages are logged by the connection
		}
	}
	tick := time.NewTicker(n.t.Heartbeat)
	defer tick.Stop()
	for {
		put(ctx, false)
		select {
		case <-ctx.Done():
			bye, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			put(bye, true)
			return
		case <-tick.C:
		}
	}
}

// takeJobs fetches jobs while slots are free — one per free slot, the
// engines in turn — when the coordinator rings, a slot frees up, or every
// Poll (redeliveries ring no bell), until ctx ends.
func (n *Node) takeJobs(ctx context.Context, js jetstream.JetStream, engines []string, a assets, bell <-chan struct{}, pages *sync.WaitGroup) {
	cons := map[string]bool{} // engines whose consumer is known to exist
	tick := time.NewTicker(n.t.Poll)
	defer tick.Stop()
	next := 0
	for {
		for n.freeSlots() > 0 {
			took := false
			for i := range engines {
				if n.freeSlots() == 0 {
					break
				}
				e := engines[(next+i)%len(engines)]
				m := n.fetch(ctx, js, cons, e)
				if m == nil {
					continue
				}
				took = true
				n.mu.Lock()
				n.busy++
				n.mu.Unlock()
				pages.Add(1)
				go func() {
					defer pages.Done()
					defer n.release()
					n.runPage(ctx, e, m, a)
				}()
			}
			next++
			if !took {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-bell:
		case <-n.freed:
		case <-tick.C:
		}
	}
}

// fetch takes one job of engine if one is waiting, or returns nil. The
// engine's consumer is (re)made when missing: the coordinator may have
// started on an empty store.
//
// The pull request is made by hand ({"no_wait": true} to the consumer's
// MSG.NEXT subject, answered on an inbox of our own) rather than with
// nats.go's FetchNoWait, which gives the whole transfer one second: a
// page of several MiB over a slow link would never arrive in time, and a
// job that arrives too late is lost to its node until AckWait. Here it has
// fetchTimeout.
func (n *Node) fetch(ctx context.Context, js jetstream.JetStream, cons map[string]bool, engine string) *nats.Msg {
	if !cons[engine] {
		if _, err := js.CreateOrUpdateConsumer(ctx, jobsStream, jobsConsumer(engine, n.t)); err != nil {
			n.log.Debug("jobs consumer", "engine", engine, "error", err)
			return nil
		}
		cons[engine] = true
	}
	nc := n.nc.Load()
	sub, err := nc.SubscribeSync(nats.NewInbox())
	if err != nil {
		return nil
	}
	_ = sub.AutoUnsubscribe(1) // the job, or a status saying there is none
	subject := "$JS.API.CONSUMER.MSG.NEXT." + jobsStream + "." + consumerName(engine)
	if err := nc.PublishRequest(subject, sub.Subject, []byte(`{"batch":1,"no_wait":true}`)); err != nil {
		_ = sub.Unsubscribe()
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	m, err := sub.NextMsgWithContext(wctx)
	if err != nil {
		_ = sub.Unsubscribe()
		n.log.Debug("fetch job", "engine", engine, "error", err)
		return nil
	}
	switch status := m.Header.Get("Status"); status {
	case "":
		return m
	case "404", "408": // no job waiting
	default: // 503 no responders (no such consumer), 409 consumer deleted, …
		n.log.Debug("fetch job", "engine", engine, "status", status, "description", m.Header.Get("Description"))
		delete(cons, engine)
	}
	return nil
}

func (n *Node) freeSlots() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.slots - n.busy
}

func (n *Node) release() {
	n.mu.Lock()
	n.busy--
	n.mu.Unlock()
	poke(n.freed)
}

// cancelPage stops the page of job id if it runs here: the coordinator
// abandoned it.
func (n *Node) cancelPage(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if p, ok := n.pages[id]; ok {
		p.cancel()
	}
}

// running is a page in progress on this node.
type running struct {
	cancel context.CancelFunc
	ack    string // the job's ack subject
}

// holding lists the ack subjects of the jobs this node runs: should the
// node vanish, the coordinator gives them back at once (NAK) instead of
// letting them wait for AckWait.
func (n *Node) holding() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, 0, len(n.pages))
	for _, p := range n.pages {
		out = append(out, p.ack)
	}
	return out
}

// quietLog is log for a second connection: its outages are the first's,
// logged there.
func quietLog(log *slog.Logger) *slog.Logger {
	return slog.New(minLevel{log.Handler(), slog.LevelError})
}

// minLevel drops records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func poke(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
