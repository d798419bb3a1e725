package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ocrbox/ocrbox/core/cluster"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/engines"
	"github.com/ocrbox/ocrbox/core/metrics"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// clusterOptions maps [cluster] onto the cluster package's options; the
// embedded NATS server keeps its JetStream store in data_dir/nats.
func clusterOptions(cfg *config.Config) cluster.Options {
	c := cfg.Cluster
	return cluster.Options{Listen: c.Listen, URL: c.URL, Token: c.Token, User: c.User, Password: c.Password,
		NKeySeedFile: c.NKeySeedFile, TLSCert: c.TLSCert, TLSKey: c.TLSKey, TLSCA: c.TLSCA,
		StoreDir: filepath.Join(cfg.Storage.DataDir, "nats"), NodeName: c.NodeName}
}

// startCoordinator joins or starts the cluster when [cluster] is set;
// nil without one.
func startCoordinator(ctx context.Context, cfg *config.Config, log *slog.Logger) (*cluster.Coordinator, error) {
	if !cfg.Cluster.Enabled() {
		return nil, nil
	}
	return cluster.StartCoordinator(ctx, clusterOptions(cfg), log)
}

// engineSet is every engine this server can hand a page to: its own
// processes (pool; nil for a pure coordinator, ocr.local_engines = false)
// and the cluster's worker nodes (remote; nil without a cluster). Uploads
// are validated against both, so a coordinator accepts what its nodes run.
type engineSet struct {
	pool   *engines.Pool
	remote *cluster.Coordinator

	// seen keeps the nodes' engines after the last node with one left, so
	// uploads still queue while a node restarts.
	mu   sync.Mutex
	seen map[string]*sdk.EngineInfo
}

// Infos lists this server's engines, then the nodes' ones it does not run
// itself, sorted by name.
func (e *engineSet) Infos(ctx context.Context) []*sdk.EngineInfo {
	var out []*sdk.EngineInfo
	if e.pool != nil {
		out = e.pool.Infos(ctx)
	}
	if e.remote == nil {
		return out
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seen == nil {
		e.seen = map[string]*sdk.EngineInfo{}
	}
	for _, info := range e.remote.Infos() {
		e.seen[info.Name] = info
	}
	for name, info := range e.seen {
		if !slices.ContainsFunc(out, func(i *sdk.EngineInfo) bool { return i.Name == name }) {
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Validate checks an upload's engine, languages and outputs against every
// engine known here. A pure coordinator that has not heard of any node yet
// answers 503, not "unknown engine".
func (e *engineSet) Validate(ctx context.Context, engine, lang string, outputs []domain.FileKind) error {
	infos := e.Infos(ctx)
	if len(infos) == 0 {
		return domain.Errorf(domain.ErrUnavailable, domain.CodeUnavailable,
			"no OCR worker node has joined the cluster yet; try again when one has (ocrbox worker --join …)")
	}
	return engines.Check(infos, engine, lang, outputs)
}

// AcceptsPath reports whether this server's engine reads pages from files.
func (e *engineSet) AcceptsPath(engine string) bool {
	return e.pool != nil && e.pool.AcceptsPath(engine)
}

// pageBytesLimit is the largest page an engine takes (0: no limit): a
// page sent as bytes to a local engine must fit one gRPC message, while
// cluster nodes get large pages through the object store.
func (e *engineSet) pageBytesLimit(engine string, max int64) int64 {
	if e.pool == nil || !e.pool.Has(engine) || e.pool.AcceptsPath(engine) {
		return 0
	}
	return max
}

// Alive reports whether this server's engine processes answer (a pure
// coordinator has none to lose).
func (e *engineSet) Alive() bool { return e.pool == nil || e.pool.Alive() }

// Busy is the workers gauge: this server's engine processes.
func (e *engineSet) Busy() (busy, total int) {
	if e.pool == nil {
		return 0, 0
	}
	return e.pool.Busy()
}

// Restarts counts this server's engine process restarts by engine.
func (e *engineSet) Restarts() map[string]int {
	if e.pool == nil {
		return map[string]int{}
	}
	return e.pool.Restarts()
}

// Close stops this server's engine processes.
func (e *engineSet) Close() {
	if e.pool != nil {
		e.pool.Close()
	}
}

// clusterMetrics points the cluster gauges at the coordinator.
func clusterMetrics(src *metrics.Sources, c *cluster.Coordinator) {
	if c == nil {
		return
	}
	src.Nodes = func() []metrics.Node {
		var out []metrics.Node
		for _, n := range c.Nodes() {
			out = append(out, metrics.Node{Name: n.Name, Up: n.Up, Slots: n.Slots, Busy: n.Busy, Done: n.Done,
				Failed: n.Failed, Redeliveries: n.Redelivered, LastSeenAgoSecond: time.Since(n.LastSeen).Seconds()})
		}
		return out
	}
	src.Cluster = func() metrics.ClusterCounters {
		s := c.Stats()
		return metrics.ClusterCounters{Sent: s.PagesSent, Results: s.Results, Duplicates: s.Duplicates,
			Redeliveries: s.Redeliveries, NodesLost: s.NodesLost}
	}
}

// localWorkers is how many engine processes per engine this server runs.
func (e *engineSet) localWorkers(workers int) int {
	if e.pool == nil {
		return 0
	}
	return workers
}

// clusterRole names this server's part in a cluster, for the start-up log.
func clusterRole(cfg *config.Config) string {
	switch {
	case cfg.Cluster.Listen != "":
		return "coordinator, embedded NATS on " + cfg.Cluster.Listen
	case cfg.Cluster.URL != "":
		return "coordinator via " + cfg.Cluster.URL
	default:
		return "none"
	}
}
