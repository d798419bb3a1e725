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

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Coordinator is serve's side of the cluster: it hands pages to worker
// nodes and follows which nodes are live and how many slots they offer.
type Coordinator struct {
	log     *slog.Logger
	t       timing
	srv     *server.Server // the embedded server; nil when joined by URL
	nc      *nats.Conn
	pc      *nats.Conn // presence: never queued behind a large page
	js      jetstream.JetStream
	jobs    jetstream.Stream
	blobs   jetstream.ObjectStore
	kv      jetstream.KeyValue
	stop    context.CancelFunc
	bg      sync.WaitGroup
	changed chan struct{}
	done    chan struct{} // closed by Close
	once    sync.Once

	mu        sync.Mutex
	nodes     map[string]*nodeEntry // by nodes-bucket key
	waiting   map[string]*waiter    // by job id
	bySeq     map[uint64]*waiter    // by the job's stream sequence
	inflight  map[string]int        // engine → jobs published, Recognize not returned
	consumers map[string]bool       // engines whose jobs consumer exists

	sent, results, dups, redeliv, lost atomic.Int64
}

// nodeEntry is one node run as last seen in the nodes bucket.
type nodeEntry struct {
	st       NodeStatus
	infos    []*sdk.EngineInfo
	lastSeen time.Time
	up       bool
	holding  []string // ack subjects of the jobs it runs
}

// StartCoordinator starts the embedded NATS server (opts.Listen) or
// connects to opts.URL, creates or updates the streams, the nodes bucket
// and the object store, and purges the jobs, results and objects left by a
// previous run: serve is the single source of truth, and after its restart
// it re-queues every unfinished task, so old jobs would only be done twice.
func StartCoordinator(ctx context.Context, opts Options, log *slog.Logger) (*Coordinator, error) {
	log = log.With("component", "cluster")
	if opts.Listen == "" && opts.URL == "" {
		return nil, errors.New("cluster: neither listen nor url is set")
	}
	if opts.NodeName == "" {
		opts.NodeName, _ = os.Hostname()
	}
	c := &Coordinator{log: log, t: opts.timing.withDefaults(), changed: make(chan struct{}, 1), done: make(chan struct{}),
		nodes: map[string]*nodeEntry{}, waiting: map[string]*waiter{}, bySeq: map[uint64]*waiter{},
		inflight: map[string]int{}, consumers: map[string]bool{}}
	var err error
	if opts.Listen != "" {
		if c.srv, err = startServer(opts, log); err != nil {
			return nil, err
		}
		c.nc, err = connect(ctx, "", opts, "ocrbox-coordinator", log, true, nats.InProcessServer(c.srv))
		if err == nil {
			c.pc, err = connect(ctx, "", opts, "ocrbox-coordinator presence", quietLog(log), true, nats.InProcessServer(c.srv))
		}
		if err == nil {
			log.Info("cluster server listening", "listen", opts.Listen, "tls", opts.TLSCert != "", "store", opts.StoreDir)
		}
	} else {
		c.nc, err = connect(ctx, opts.URL, opts, "ocrbox-coordinator", log, true)
		if err == nil {
			c.pc, err = connect(ctx, opts.URL, opts, "ocrbox-coordinator presence", quietLog(log), true)
		}
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	if err := c.setup(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// setup creates the assets, purges the old jobs and starts following
// results, nodes and jobs that exhausted their deliveries.
func (c *Coordinator) setup(ctx context.Context) error {
	js, err := jetstream.New(c.nc)
	if err != nil {
		return fmt.Errorf("cluster jetstream: %w", err)
	}
	c.js = js
	// Jobs and results live only as long as this coordinator run (it
	// purges them at start), so with the embedded server, which stops with
	// it, they are kept in memory: a 2 MiB page then costs half the time
	// it does on disk. An external NATS system may restart on its own:
	// there they are on disk.
	storage := jetstream.FileStorage
	if c.srv != nil {
		storage = jetstream.MemoryStorage
	}
	if c.jobs, err = ensureStream(ctx, js, jetstream.StreamConfig{
		Name: jobsStream, Description: "ocrbox page jobs, one subject per engine",
		Subjects: []string{jobsPrefix + ">"}, Retention: jetstream.WorkQueuePolicy,
		Storage: storage, MaxAge: 24 * time.Hour, Duplicates: 2 * time.Minute,
	}); err != nil {
		return fmt.Errorf("cluster jobs stream: %w", err)
	}
	results, err := ensureStream(ctx, js, jetstream.StreamConfig{
		Name: resultsStream, Description: "ocrbox page results for the coordinator",
		Subjects: []string{resultsSubj}, Retention: jetstream.WorkQueuePolicy,
		Storage: storage, MaxAge: time.Hour,
	})
	if err != nil {
		return fmt.Errorf("cluster results stream: %w", err)
	}
	if c.kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: nodesBucket, Description: "ocrbox worker nodes, one entry per node run",
		History: 1, TTL: lostKept, Storage: jetstream.FileStorage,
	}); err != nil {
		return fmt.Errorf("cluster nodes bucket: %w", err)
	}
	if c.blobs, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: blobsBucket, Description: "ocrbox page images and results too large for a message",
		TTL: time.Hour, Storage: jetstream.FileStorage,
	}); err != nil {
		return fmt.Errorf("cluster object store: %w", err)
	}
	for _, s := range []jetstream.Stream{c.jobs, results} {
		if err := s.Purge(ctx); err != nil {
			return fmt.Errorf("cluster purge %s: %w", s.CachedInfo().Config.Name, err)
		}
	}
	if objs, err := js.Stream(ctx, "OBJ_"+blobsBucket); err == nil {
		if err := objs.Purge(ctx); err != nil {
			return fmt.Errorf("cluster purge objects: %w", err)
		}
	}
	bg, stop := context.WithCancel(context.Background())
	c.stop = stop
	cons, err := results.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: resultsCons, AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("cluster results consumer: %w", err)
	}
	// Results may be up to max_payload each: bound the client's buffer by
	// bytes, not by the default 500 messages.
	cc, err := cons.Consume(c.onResult, jetstream.PullMaxBytes(32<<20), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		c.log.Debug("results consumer", "error", err) // outages are logged by the connection
	}))
	if err != nil {
		return fmt.Errorf("cluster results: %w", err)
	}
	sub, err := c.nc.Subscribe(maxDelivAdv, c.onMaxDeliveries)
	if err != nil {
		cc.Stop()
		return fmt.Errorf("cluster advisories: %w", err)
	}
	// The nodes are watched on their own connection: a large result being
	// received must not delay heartbeats until nodes look lost.
	pjs, err := jetstream.New(c.pc)
	if err != nil {
		cc.Stop()
		return fmt.Errorf("cluster jetstream: %w", err)
	}
	pkv, err := pjs.KeyValue(ctx, nodesBucket)
	if err != nil {
		cc.Stop()
		return fmt.Errorf("cluster nodes bucket: %w", err)
	}
	w, err := pkv.WatchAll(bg) // outlives ctx, which only bounds the start
	if err != nil {
		cc.Stop()
		return fmt.Errorf("cluster nodes watch: %w", err)
	}
	// The nodes already there, so Slots and Free are right from the start.
initial:
	for {
		select {
		case e := <-w.Updates():
			if e == nil {
				break initial
			}
			c.onPresence(e, e.Created())
		case <-ctx.Done():
			w.Stop()
			cc.Stop()
			stop()
			return fmt.Errorf("cluster nodes watch: %w", context.Cause(ctx))
		}
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		defer cc.Stop()
		defer sub.Unsubscribe()
		defer w.Stop()
		c.watchNodes(bg, w)
	}()
	return nil
}

// ensureStream creates or updates a stream; one whose settings cannot be
// updated in place (its storage type) is made again — it only ever holds
// what a previous run left, which is purged anyway.
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := js.CreateOrUpdateStream(ctx, cfg)
	if err == nil {
		return s, nil
	}
	if _, lerr := js.Stream(ctx, cfg.Name); lerr != nil {
		return nil, err // not an existing stream's settings: a real failure
	}
	if derr := js.DeleteStream(ctx, cfg.Name); derr != nil {
		return nil, fmt.Errorf("%w (and could not remake it: %w)", err, derr)
	}
	return js.CreateStream(ctx, cfg)
}

// Changed is signalled (buffered, never blocking) when nodes join or
// leave, their slots change, or a page sent to a node finishes.
func (c *Coordinator) Changed() <-chan struct{} { return c.changed }

func (c *Coordinator) signal() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// Stats returns the counters since start.
func (c *Coordinator) Stats() Stats {
	return Stats{PagesSent: c.sent.Load(), Results: c.results.Load(), Duplicates: c.dups.Load(),
		Redeliveries: c.redeliv.Load(), NodesLost: c.lost.Load()}
}

func (c *Coordinator) closed() <-chan struct{} { return c.done }

// ClientURL is the address nodes dial: the embedded server's, or the URL
// joined.
func (c *Coordinator) ClientURL() string {
	if c.srv != nil {
		return c.srv.ClientURL()
	}
	return c.nc.ConnectedUrlRedacted()
}

// Close stops following nodes and results, drains the connection and shuts
// the embedded server down. Recognize calls still waiting fail.
func (c *Coordinator) Close() {
	c.once.Do(func() { close(c.done) })
	if c.stop != nil {
		c.stop()
	}
	c.bg.Wait()
	if c.nc != nil {
		c.nc.Close()
	}
	if c.pc != nil {
		c.pc.Close()
	}
	if c.srv != nil {
		c.srv.Shutdown()
		c.srv.WaitForShutdown()
	}
}
