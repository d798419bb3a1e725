package cluster

import (
	"context"
	"encoding/hex"
	"regexp"
	"time"
)

// Names of the JetStream assets and subjects. One coordinator per NATS
// account: the names are fixed.
const (
	jobsStream    = "OCRBOX_JOBS"
	jobsPrefix    = "ocrbox.jobs."   // + engine token: a page job
	resultsStream = "OCRBOX_RESULTS" //
	resultsSubj   = "ocrbox.results" // a node's answer to a job
	resultsCons   = "coordinator"    // the coordinator's durable consumer of results
	bellPrefix    = "ocrbox.bell."   // + engine token: core NATS, "a job is queued"
	cancelSubj    = "ocrbox.cancel"  // core NATS, payload job id: stop that page
	nodesBucket   = "ocrbox-nodes"   // KV: node presence
	blobsBucket   = "ocrbox-pages"   // object store: large images and results
	consPrefix    = "jobs_"          // + engine token: the durable consumer shared by all nodes
	maxDelivAdv   = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + jobsStream + ".*"
)

// Header names of jobs and results.
const (
	hdrJob         = "Ocrbox-Job"          // job id
	hdrTimeout     = "Ocrbox-Page-Timeout" // the engine's bound, Go duration
	hdrImageObj    = "Ocrbox-Image-Object" // the image is in the object store under this name
	hdrResultObj   = "Ocrbox-Result-Object"
	hdrNode        = "Ocrbox-Node"
	hdrDelivered   = "Ocrbox-Delivered" // which delivery of the job this result answers
	hdrErrKind     = "Ocrbox-Error-Kind"
	hdrErr         = "Ocrbox-Error"
	errBadImage    = "bad_image"
	errUnsupported = "unsupported"
	errFailed      = "failed"
)

// payloadRoom is kept free in a message for headers and the request's
// other fields: an image or result larger than the server's max_payload
// less this goes through the object store. With NATS's default 1 MiB
// max_payload that is above 768 KiB; the embedded server allows 8 MiB.
const payloadRoom = 256 << 10

// inlineLimit is the largest image or result sent inside a message on a
// connection whose server allows maxPayload bytes (cap: tests' InlineMax).
func (t timing) inlineLimit(maxPayload int64) int {
	lim := int(maxPayload) - payloadRoom
	if t.InlineMax > 0 {
		lim = min(lim, t.InlineMax)
	}
	return lim
}

// timing holds the protocol's intervals; tests shorten them.
type timing struct {
	AckWait    time.Duration // a job not acked nor heartbeated for this long goes to another node
	Heartbeat  time.Duration // a node's presence put
	NodeTTL    time.Duration // a node silent this long is lost
	Poll       time.Duration // an idle node looks for jobs this often (besides the bell)
	MaxDeliver int           // deliveries of one job before the coordinator gives up on it
	InlineMax  int           // caps inlineLimit (tests); 0: none
	MaxPayload int32         // the embedded server's max_payload (tests: NATS's default); 0: embeddedMaxPayload
}

func (t timing) withDefaults() timing {
	if t.AckWait <= 0 {
		t.AckWait = 30 * time.Second
	}
	if t.Heartbeat <= 0 {
		t.Heartbeat = 2 * time.Second
	}
	if t.NodeTTL <= 0 {
		t.NodeTTL = 3 * t.Heartbeat
	}
	if t.Poll <= 0 {
		t.Poll = time.Second
	}
	if t.MaxDeliver <= 0 {
		t.MaxDeliver = 10
	}
	return t
}

// objectTimeout bounds one object store transfer. Without a deadline of
// its own, nats.go gives the whole transfer its 5 s API timeout, which a
// large page over a slow link exceeds.
const objectTimeout = 5 * time.Minute

func objectContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, objectTimeout)
}

// fetchTimeout bounds the transfer of one job to a node (up to 8 MiB:
// about 1 Mbit/s at worst).
const fetchTimeout = time.Minute

// lostKept is how long a lost node stays in Nodes.
const lostKept = 10 * time.Minute

var plainToken = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// token makes a name safe as one subject token, consumer name or KV key
// part: kept when plain, else hex-encoded behind "x-".
func token(name string) string {
	if plainToken.MatchString(name) && len(name) <= 64 {
		return name
	}
	return "x-" + hex.EncodeToString([]byte(name))
}

func jobSubject(engine string) string   { return jobsPrefix + token(engine) }
func bellSubject(engine string) string  { return bellPrefix + token(engine) }
func consumerName(engine string) string { return consPrefix + token(engine) }
