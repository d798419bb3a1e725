package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// ErrNoWorker is returned by Recognize when no live node runs the engine:
// the caller runs the page elsewhere (locally) or tries again later.
var ErrNoWorker = errors.New("no worker node runs this engine")

// Options connect a node (or the coordinator) to the cluster; they come
// from config.Cluster.
type Options struct {
	// Listen starts the embedded NATS server on this address (coordinator only).
	Listen string
	// URL is the NATS server to connect to (nodes always; the coordinator
	// when it joins an existing NATS cluster instead of embedding one).
	URL string
	// Token, or User and Password, or NKeySeedFile authenticate the
	// connection; the embedded server requires the token or user/password.
	Token, User, Password, NKeySeedFile string
	// TLSCert and TLSKey are served by the embedded server or presented by
	// a client; TLSCA verifies the other side.
	TLSCert, TLSKey, TLSCA string
	// StoreDir is the JetStream store of the embedded server (data_dir/nats).
	StoreDir string
	// NodeName names this node; default os.Hostname().
	NodeName string
	// Version is the ocrbox version a node advertises.
	Version string

	// timing shortens the protocol's intervals in tests; zero = defaults.
	timing timing
}

// Engines is what a worker node needs of its engine processes: their
// descriptions and one page recognised by a free process. The adapter over
// *engines.Pool (core/app) restarts a process that hangs past timeout, as
// the server's worker does.
type Engines interface {
	// Infos describes the engines this node runs.
	Infos(ctx context.Context) []*sdk.EngineInfo
	// AcceptsPath reports whether the engine reads pages from files; the
	// node then writes the received image to a temporary file.
	AcceptsPath(engine string) bool
	// Recognize runs one page on a free process of engine, bounded by
	// timeout. Errors wrap sdk.ErrBadImage or sdk.ErrUnsupported when the
	// page itself is at fault.
	Recognize(ctx context.Context, engine string, req *sdk.RecognizeRequest, timeout time.Duration) (*sdk.RecognizeResponse, error)
}

// NodeStatus describes one worker node as the coordinator (or `ocrbox
// workers`) sees it.
type NodeStatus struct {
	Name        string    `json:"name"`
	Instance    string    `json:"instance"` // one run of the node process
	Host        string    `json:"host"`
	Version     string    `json:"version"`
	Engines     []string  `json:"engines"`
	Slots       int       `json:"slots"`
	Busy        int       `json:"busy"`
	Done        int64     `json:"pages_done"`
	Failed      int64     `json:"pages_failed"`
	Redelivered int64     `json:"redeliveries"` // pages this node got after another node lost them
	Started     time.Time `json:"started"`
	LastSeen    time.Time `json:"last_seen"`
	Up          bool      `json:"up"`
}

// Stats are the coordinator's counters since it started (for /metrics).
type Stats struct {
	PagesSent    int64 // jobs published
	Results      int64 // results accepted (one per finished Recognize)
	Duplicates   int64 // results dropped: late, duplicate or for abandoned jobs
	Redeliveries int64 // extra deliveries behind accepted results (a node died or was cut off)
	NodesLost    int64 // nodes that stopped heartbeating without saying goodbye
}
