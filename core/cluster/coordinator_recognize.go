package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"google.golang.org/protobuf/proto"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// waiter is one Recognize waiting for its job's result.
type waiter struct {
	engine string
	seq    uint64
	got    bool        // a result (or a give-up) was handed over; later ones are duplicates
	ch     chan answer // buffered 1
}

// answer is a result message as received, or the coordinator's own verdict.
type answer struct {
	hdr  nats.Header
	data []byte
	err  error // set: the job failed without a node's result
}

// ErrClosed is returned by Recognize calls cut short by Close.
var ErrClosed = errors.New("cluster coordinator closed")

// Recognize sends one page to a worker node running engine and waits for
// its result. The page is req.Image or the file req.ImagePath (read here:
// nodes get bytes, never paths); images too large for a message travel
// through the object store. pageTimeout bounds the engine's work on the node.
//
// Errors: one wrapping sdk.ErrBadImage or sdk.ErrUnsupported when the
// engine refused the page (permanent, as from a local engine); ErrNoWorker
// when no live node runs engine (also when the nodes running it were lost
// while the page waited); anything else is transient. A node that dies or
// is cut off mid-page costs nothing here: the job goes to another node
// after AckWait, and only the first result counts. When ctx ends the job
// is abandoned: deleted from the queue if still there, and the node
// running it told to stop.
func (c *Coordinator) Recognize(ctx context.Context, engine string, req *sdk.RecognizeRequest, pageTimeout time.Duration) (*sdk.RecognizeResponse, error) {
	if !c.runs(engine) {
		return nil, ErrNoWorker
	}
	if err := c.ensureConsumer(ctx, engine); err != nil {
		return nil, err
	}
	id := nuid.Next()
	msg, imageObj, err := c.jobMessage(ctx, id, engine, req, pageTimeout)
	if err != nil {
		return nil, err
	}
	w := &waiter{engine: engine, ch: make(chan answer, 1)}
	c.mu.Lock()
	c.waiting[id] = w
	c.inflight[engine]++
	c.mu.Unlock()
	finished := false
	defer func() { c.finish(ctx, id, w, imageObj, finished) }()

	ack, err := c.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(jobsStream))
	if err != nil {
		return nil, fmt.Errorf("queue page for engine %q: %w", engine, err)
	}
	c.sent.Add(1)
	c.mu.Lock()
	w.seq = ack.Sequence
	c.bySeq[ack.Sequence] = w
	c.mu.Unlock()
	_ = c.nc.Publish(bellSubject(engine), nil) // best effort: idle nodes also poll

	tick := time.NewTicker(c.t.Heartbeat)
	defer tick.Stop()
	var orphaned time.Time // since when no live node runs engine
	for {
		select {
		case a := <-w.ch:
			finished = a.err == nil
			if a.err != nil {
				return nil, a.err
			}
			return c.decodeResult(ctx, engine, a)
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-c.closed():
			return nil, ErrClosed
		case now := <-tick.C:
			switch {
			case c.runs(engine):
				orphaned = time.Time{}
			case orphaned.IsZero():
				orphaned = now
			case now.Sub(orphaned) >= c.t.NodeTTL:
				// Grace for a node restarting (systemd) to take the page.
				return nil, fmt.Errorf("%w: the nodes running %q were lost while the page waited", ErrNoWorker, engine)
			}
		}
	}
}

// jobMessage builds the job: the request without its path, the image in
// the message or (large) in the object store, named in a header.
func (c *Coordinator) jobMessage(ctx context.Context, id, engine string, req *sdk.RecognizeRequest, pageTimeout time.Duration) (*nats.Msg, string, error) {
	job := proto.Clone(req).(*sdk.RecognizeRequest)
	if job.GetImagePath() != "" {
		img, err := os.ReadFile(job.GetImagePath())
		if err != nil {
			return nil, "", fmt.Errorf("read page image: %w", err)
		}
		job.Image, job.ImagePath = img, ""
	}
	msg := nats.NewMsg(jobSubject(engine))
	msg.Header.Set(hdrJob, id)
	msg.Header.Set(hdrTimeout, pageTimeout.String())
	imageObj := ""
	if len(job.Image) > c.inlineLimit() {
		imageObj = "image/" + id
		octx, cancel := objectContext(ctx)
		_, err := c.blobs.PutBytes(octx, imageObj, job.Image)
		cancel()
		if err != nil {
			return nil, "", fmt.Errorf("store page image: %w", err)
		}
		msg.Header.Set(hdrImageObj, imageObj)
		job.Image = nil
	}
	data, err := proto.Marshal(job)
	if err != nil {
		return nil, imageObj, fmt.Errorf("encode page job: %w", err)
	}
	msg.Data = data
	return msg, imageObj, nil
}

// inlineLimit is the largest image sent inside the job message.
func (c *Coordinator) inlineLimit() int { return c.t.inlineLimit(c.nc.MaxPayload()) }

// finish forgets the job. Unless its result arrived, the job is deleted
// from the queue (it may still wait there) and a node running it is told
// to stop. The image object goes either way.
func (c *Coordinator) finish(ctx context.Context, id string, w *waiter, imageObj string, finished bool) {
	c.mu.Lock()
	delete(c.waiting, id)
	delete(c.bySeq, w.seq)
	c.inflight[w.engine]--
	if c.inflight[w.engine] <= 0 {
		delete(c.inflight, w.engine)
	}
	w.got = true
	c.mu.Unlock()
	c.signal()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if !finished && w.seq != 0 {
		if err := c.jobs.DeleteMsg(cctx, w.seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			c.log.Debug("delete abandoned job", "job", id, "error", err)
		}
		_ = c.nc.Publish(cancelSubj, []byte(id))
	}
	if imageObj != "" {
		if err := c.blobs.Delete(cctx, imageObj); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			c.log.Debug("delete page image object", "job", id, "error", err)
		}
	}
}

// decodeResult turns a node's result into Recognize's return values.
func (c *Coordinator) decodeResult(ctx context.Context, engine string, a answer) (*sdk.RecognizeResponse, error) {
	node := a.hdr.Get(hdrNode)
	switch a.hdr.Get(hdrErrKind) {
	case "":
	case errBadImage:
		return nil, fmt.Errorf("%w: %s (engine %q on node %s)", sdk.ErrBadImage, a.data, engine, node)
	case errUnsupported:
		return nil, fmt.Errorf("%w: %s (engine %q on node %s)", sdk.ErrUnsupported, a.data, engine, node)
	default:
		return nil, fmt.Errorf("engine %q on node %s: %s", engine, node, a.data)
	}
	data := a.data
	if obj := a.hdr.Get(hdrResultObj); obj != "" {
		var err error
		octx, cancel := objectContext(ctx)
		data, err = c.blobs.GetBytes(octx, obj)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("fetch page result from node %s: %w", node, err)
		}
		c.deleteObject(obj)
	}
	resp := &sdk.RecognizeResponse{}
	if err := proto.Unmarshal(data, resp); err != nil {
		return nil, fmt.Errorf("decode page result from node %s: %w", node, err)
	}
	return resp, nil
}

func (c *Coordinator) deleteObject(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.blobs.Delete(ctx, name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		c.log.Debug("delete object", "object", name, "error", err)
	}
}

// onResult hands a result to the Recognize waiting for it; any other
// (a duplicate after a redelivery, a late one for an abandoned job) is
// dropped. Either way the result is acked: it has been dealt with.
func (c *Coordinator) onResult(m jetstream.Msg) {
	hdr := m.Headers()
	id := hdr.Get(hdrJob)
	c.mu.Lock()
	w := c.waiting[id]
	taken := w != nil && !w.got
	if taken {
		w.got = true
		w.ch <- answer{hdr: hdr, data: m.Data()}
	}
	c.mu.Unlock()
	if taken {
		c.results.Add(1)
		if d, _ := strconv.Atoi(hdr.Get(hdrDelivered)); d > 1 {
			c.redeliv.Add(int64(d - 1))
		}
	} else {
		c.dups.Add(1)
		c.log.Debug("dropped a result nobody waits for", "job", id, "node", hdr.Get(hdrNode))
		if obj := hdr.Get(hdrResultObj); obj != "" {
			c.deleteObject(obj)
		}
	}
	if err := m.Ack(); err != nil {
		c.log.Debug("ack result", "job", id, "error", err)
	}
}

// onMaxDeliveries fails the job that JetStream stopped delivering: it
// went to MaxDeliver nodes and none returned a result (each died or was
// cut off) — the caller's retry budget decides what next.
func (c *Coordinator) onMaxDeliveries(m *nats.Msg) {
	var adv struct {
		StreamSeq  uint64 `json:"stream_seq"`
		Deliveries int    `json:"deliveries"`
	}
	if err := json.Unmarshal(m.Data, &adv); err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if w := c.bySeq[adv.StreamSeq]; w != nil && !w.got {
		w.got = true
		w.ch <- answer{err: fmt.Errorf("engine %q: the page went to %d nodes and none returned it", w.engine, adv.Deliveries)}
	}
}

// ensureConsumer creates the engine's jobs consumer on first use; nodes
// create it too, with the same settings, whichever comes first.
func (c *Coordinator) ensureConsumer(ctx context.Context, engine string) error {
	c.mu.Lock()
	ok := c.consumers[engine]
	c.mu.Unlock()
	if ok {
		return nil
	}
	if _, err := c.js.CreateOrUpdateConsumer(ctx, jobsStream, jobsConsumer(engine, c.t)); err != nil {
		return fmt.Errorf("jobs consumer for engine %q: %w", engine, err)
	}
	c.mu.Lock()
	c.consumers[engine] = true
	c.mu.Unlock()
	return nil
}

// jobsConsumer is the durable pull consumer all nodes running engine share.
func jobsConsumer(engine string, t timing) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable: consumerName(engine), Description: "page jobs for engine " + engine,
		FilterSubject: jobSubject(engine), AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: t.AckWait, MaxDeliver: t.MaxDeliver, DeliverPolicy: jetstream.DeliverAllPolicy,
	}
}
