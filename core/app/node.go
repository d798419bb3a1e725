package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ocrbox/ocrbox/core/cluster"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/engines"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// WorkerOptions are `ocrbox worker`'s own settings; the cluster address,
// credentials and node name come from [cluster] (cluster.url …).
type WorkerOptions struct {
	// Slots is the pages this node runs at once (--workers); it starts that
	// many processes of each engine.
	Slots int
	// MetricsListen serves /metrics for this node when set.
	MetricsListen string
	// Version is advertised to the coordinator and in metrics.
	Version string
}

// RunWorker is `ocrbox worker`: it starts opts.Slots processes of each
// configured engine and takes pages from the cluster (core/cluster) until
// ctx ends.
func RunWorker(ctx context.Context, cfg *config.Config, opts WorkerOptions, log *slog.Logger) error {
	if cfg.Cluster.URL == "" {
		return errors.New("no cluster to join: pass --join nats://HOST:4222 (or set cluster.url)")
	}
	if opts.Slots < 1 {
		opts.Slots = cfg.EffectiveWorkers()
	}
	copts := clusterOptions(cfg)
	copts.Listen, copts.StoreDir, copts.Version = "", "", opts.Version
	if copts.NodeName == "" {
		copts.NodeName, _ = os.Hostname()
	}
	nodeLog := log.With("node", copts.NodeName) // every line of a worker names its node
	cfgs, err := engineConfigs(cfg, opts.Slots)
	if err != nil {
		return err
	}
	for i := range cfgs {
		// A node takes up to Slots pages of any one engine at once.
		cfgs[i].Processes = opts.Slots
	}
	pool, err := engines.Start(ctx, cfgs, nodeLog)
	if err != nil {
		return err
	}
	defer pool.Close()
	node, err := cluster.NewNode(copts, poolEngines{pool: pool, log: nodeLog}, opts.Slots, log)
	if err != nil {
		return err
	}
	if opts.MetricsListen != "" {
		stop, err := serveNodeMetrics(opts.MetricsListen, node, pool, opts.Version, nodeLog)
		if err != nil {
			return err
		}
		defer stop()
	}
	return node.Run(ctx)
}

// poolEngines is a node's engines: the processes of an *engines.Pool, one
// page at a time each, a hung process replaced as the server's worker does.
type poolEngines struct {
	pool *engines.Pool
	log  *slog.Logger
}

func (e poolEngines) Infos(ctx context.Context) []*sdk.EngineInfo { return e.pool.Infos(ctx) }
func (e poolEngines) AcceptsPath(engine string) bool              { return e.pool.AcceptsPath(engine) }

// Recognize runs one page on a free process of engine within timeout.
func (e poolEngines) Recognize(ctx context.Context, engine string, req *sdk.RecognizeRequest, timeout time.Duration) (*sdk.RecognizeResponse, error) {
	proc, err := e.pool.Acquire(ctx, engine)
	if err != nil {
		return nil, err
	}
	defer e.pool.Release(engine, proc)
	return engines.RecognizeOn(ctx, proc, req, timeout, e.log)
}

// serveNodeMetrics serves the node's gauges and counters on addr at
// /metrics until the returned func is called.
func serveNodeMetrics(addr string, node *cluster.Node, pool *engines.Pool, version string, log *slog.Logger) (func(), error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		nodeCollector{node: node, pool: pool, version: version})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("node metrics", "error", err)
		}
	}()
	log.Info("node metrics listening", "listen", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

var (
	nodeInfoDesc      = prometheus.NewDesc("ocrbox_node_info", "This worker node: its name and ocrbox version (always 1).", []string{"node", "version"}, nil)
	nodeConnectedDesc = prometheus.NewDesc("ocrbox_node_connected", "1 while the node is connected to the cluster.", nil, nil)
	nodeSlotsDesc     = prometheus.NewDesc("ocrbox_node_slots", "Pages this node runs at once (--workers).", nil, nil)
	nodeBusyDesc      = prometheus.NewDesc("ocrbox_node_busy", "Pages this node is recognising now.", nil, nil)
	nodePagesDesc     = prometheus.NewDesc("ocrbox_node_pages_total", "Pages this node recognised since start, by result (done, failed).", []string{"result"}, nil)
	nodeRedelivDesc   = prometheus.NewDesc("ocrbox_node_redeliveries_total", "Pages this node took over after another node did not finish them.", nil, nil)
	nodeRestartsDesc  = prometheus.NewDesc("ocrbox_plugin_restarts_total", "Plugin process restarts since start, by plugin.", []string{"plugin"}, nil)
)

// nodeCollector reads the node's state at each scrape.
type nodeCollector struct {
	node    *cluster.Node
	pool    *engines.Pool
	version string
}

func (c nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{nodeInfoDesc, nodeConnectedDesc, nodeSlotsDesc, nodeBusyDesc,
		nodePagesDesc, nodeRedelivDesc, nodeRestartsDesc} {
		ch <- d
	}
}

func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.node.Status()
	connected := 0.0
	if c.node.Connected() {
		connected = 1
	}
	ch <- prometheus.MustNewConstMetric(nodeInfoDesc, prometheus.GaugeValue, 1, st.Name, c.version)
	ch <- prometheus.MustNewConstMetric(nodeConnectedDesc, prometheus.GaugeValue, connected)
	ch <- prometheus.MustNewConstMetric(nodeSlotsDesc, prometheus.GaugeValue, float64(st.Slots))
	ch <- prometheus.MustNewConstMetric(nodeBusyDesc, prometheus.GaugeValue, float64(st.Busy))
	ch <- prometheus.MustNewConstMetric(nodePagesDesc, prometheus.CounterValue, float64(st.Done), "done")
	ch <- prometheus.MustNewConstMetric(nodePagesDesc, prometheus.CounterValue, float64(st.Failed), "failed")
	ch <- prometheus.MustNewConstMetric(nodeRedelivDesc, prometheus.CounterValue, float64(st.Redelivered))
	for name, n := range c.pool.Restarts() {
		ch <- prometheus.MustNewConstMetric(nodeRestartsDesc, prometheus.CounterValue, float64(n), name)
	}
}

var _ cluster.Engines = poolEngines{}

// ClusterOptions are the cluster package's options from [cluster] (for
// the cluster commands).
func ClusterOptions(cfg *config.Config) cluster.Options { return clusterOptions(cfg) }
