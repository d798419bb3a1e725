package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/ocrbox/ocrbox/core/app"
	"github.com/ocrbox/ocrbox/core/cluster"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/logging"
)

// clusterFlags are the flags of the cluster commands; each, when given,
// overrides its [cluster] key.
type clusterFlags struct {
	config string
	url    string
	token  string
}

func (f *clusterFlags) bind(fs *flag.FlagSet, urlFlag string) {
	fs.StringVar(&f.config, "config", "", "configuration file (default ./config.toml if it exists)")
	fs.StringVar(&f.url, urlFlag, "", "NATS address of the cluster, nats://HOST:4222 (cluster.url)")
	fs.StringVar(&f.token, "token", "", "cluster token (cluster.token; OCRBOX_CLUSTER_TOKEN keeps it out of ps)")
}

// load reads the configuration with the flags given on top.
func (f *clusterFlags) load(extra map[string]any) (*config.Config, error) {
	over := map[string]any{}
	if f.url != "" {
		over["cluster.url"] = f.url
		over["cluster.listen"] = "" // a serve config file may embed the server
	}
	if f.token != "" {
		over["cluster.token"] = f.token
	}
	for k, v := range extra {
		over[k] = v
	}
	cfg, err := config.Load(configPath(commonFlags{config: f.config}), os.Environ(), over)
	if err != nil {
		return nil, err
	}
	if _, err := app.CheckConfig(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// worker is `ocrbox worker`: an OCR node of a cluster.
func worker(args []string, stderr io.Writer) error {
	var f clusterFlags
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.bind(fs, "join")
	slots := fs.Int("workers", 0, "pages run at once, each engine's processes (default ocr.workers)")
	name := fs.String("name", "", "node name in logs and the workers list (cluster.node_name; default the host name)")
	metricsListen := fs.String("metrics-listen", "", "serve this node's /metrics on ADDR, e.g. :9464")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	extra := map[string]any{}
	if *name != "" {
		extra["cluster.node_name"] = *name
	}
	cfg, err := f.load(extra)
	if err != nil {
		return err
	}
	if cfg.Cluster.URL == "" {
		return fmt.Errorf("no cluster to join: pass --join nats://HOST:4222 (or set cluster.url)")
	}
	log := logging.New(stderr, cfg.Log.Level, cfg.Log.Format)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return app.RunWorker(ctx, cfg, app.WorkerOptions{Slots: *slots, MetricsListen: *metricsListen, Version: Version}, log)
}

// workers is `ocrbox workers`: the nodes of the cluster.
func workers(args []string, stdout, stderr io.Writer) error {
	var f clusterFlags
	fs := flag.NewFlagSet("workers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.bind(fs, "url")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := f.load(nil)
	if err != nil {
		return err
	}
	opts := app.ClusterOptions(cfg)
	if opts.URL == "" {
		if opts.URL = localURL(cfg.Cluster); opts.URL == "" {
			return fmt.Errorf("no cluster: pass --url nats://HOST:4222 (or set cluster.url or cluster.listen)")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	nodes, err := cluster.ListNodes(ctx, opts, logging.New(stderr, "error", "text"))
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if nodes == nil {
			nodes = []cluster.NodeStatus{}
		}
		return enc.Encode(nodes)
	}
	return writeNodesTable(stdout, nodes, time.Now())
}

// localURL is the embedded server's address as seen from this machine,
// for `ocrbox workers` run beside serve with its configuration.
func localURL(c config.Cluster) string {
	if c.Listen == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "nats"
	if c.TLSCert != "" {
		scheme = "tls"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

func writeNodesTable(w io.Writer, nodes []cluster.NodeStatus, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tENGINES\tSLOTS\tBUSY\tDONE\tFAILED\tLAST SEEN\tVERSION")
	for _, n := range nodes {
		state := "up"
		if !n.Up {
			state = "down"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s ago\t%s\n", n.Name, state, strings.Join(n.Engines, ","),
			n.Slots, n.Busy, n.Done, n.Failed, max(now.Sub(n.LastSeen), 0).Round(time.Second), n.Version)
	}
	if len(nodes) == 0 {
		fmt.Fprintln(tw, "(no worker node has joined in the last 10 minutes)")
	}
	return tw.Flush()
}
