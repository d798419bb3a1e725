package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// runPage recognises one job and returns its result; the job is acked
// only once the result is stored (PubAck), so a node dying at any point
// loses nothing: the job goes to another node after AckWait. While the
// page runs, InProgress heartbeats hold the job, however long the page.
func (n *Node) runPage(ctx context.Context, engine string, m *nats.Msg, a assets) {
	id := m.Header.Get(hdrJob)
	log := n.log.With("engine", engine, "job", id)
	meta, err := m.Metadata()
	if err != nil || id == "" {
		log.Warn("dropping a malformed job", "error", err)
		_ = m.Term()
		return
	}
	if meta.NumDelivered > 1 {
		n.redeliv.Add(1)
		log.Info("took over a page another node did not finish", "delivery", meta.NumDelivered)
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n.mu.Lock()
	n.pages[id] = running{cancel: cancel, ack: m.Reply}
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.pages, id)
		n.mu.Unlock()
	}()
	stopBeat := n.holdJob(m, meta)
	defer stopBeat()

	started := time.Now()
	resp, perr := n.recognize(pctx, engine, m, a)
	switch {
	case ctx.Err() != nil: // the node stops: another node takes the page now
		_ = m.Nak()
		log.Info("page given back: the node stops")
		return
	case pctx.Err() != nil: // the coordinator abandoned the job (already deleted)
		_ = m.Term()
		log.Debug("page cancelled by the coordinator")
		return
	case errors.Is(perr, errJobGone):
		_ = m.Term()
		log.Debug("page abandoned before it started", "error", perr)
		return
	}
	res, err := n.resultMessage(ctx, id, meta.NumDelivered, resp, perr, a)
	if err == nil {
		err = n.publishResult(ctx, a.js, res, meta)
	}
	if err != nil {
		// Not acked: the job goes to another node after AckWait (or now).
		_ = m.Nak()
		log.Warn("page result not stored; page given back", "error", err)
		return
	}
	if err := m.Ack(); err != nil {
		// The result is stored; the job comes back to a node after
		// AckWait, and the coordinator drops the second result.
		log.Debug("ack job", "error", err)
	}
	if perr != nil {
		n.failed.Add(1)
		log.Warn("page failed", "error", perr, "ms", time.Since(started).Milliseconds())
		return
	}
	n.done.Add(1)
	log.Debug("page done", "ms", time.Since(started).Milliseconds())
}

// errJobGone: the job's image is no longer in the object store — the
// coordinator finished or abandoned the job.
var errJobGone = errors.New("job abandoned by the coordinator")

// holdJob sends InProgress every AckWait/3 until the returned func is
// called, so JetStream keeps the job with this node while it works.
func (n *Node) holdJob(m *nats.Msg, meta *nats.MsgMetadata) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	every := n.t.AckWait / 3
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if err := m.InProgress(); err != nil {
					n.log.Debug("job heartbeat", "seq", meta.Sequence.Stream, "error", err)
				}
			}
		}
	}()
	return func() { close(stop); <-done }
}

// recognize decodes the job and runs it on the node's engine.
func (n *Node) recognize(ctx context.Context, engine string, m *nats.Msg, a assets) (*sdk.RecognizeResponse, error) {
	req := &sdk.RecognizeRequest{}
	if err := proto.Unmarshal(m.Data, req); err != nil {
		return nil, fmt.Errorf("decode page job: %w", err)
	}
	req.ImagePath = "" // nodes read no paths from the wire
	timeout, err := time.ParseDuration(m.Header.Get(hdrTimeout))
	if err != nil || timeout <= 0 {
		timeout = 10 * time.Minute
	}
	if obj := m.Header.Get(hdrImageObj); obj != "" {
		octx, cancel := objectContext(ctx)
		img, err := a.blobs.GetBytes(octx, obj)
		cancel()
		switch {
		case errors.Is(err, jetstream.ErrObjectNotFound):
			return nil, errJobGone
		case err != nil:
			return nil, fmt.Errorf("fetch page image: %w", err)
		}
		req.Image = img
	}
	if n.eng.AcceptsPath(engine) {
		f, err := os.CreateTemp("", "ocrbox-page-*")
		if err != nil {
			return nil, fmt.Errorf("page file: %w", err)
		}
		defer os.Remove(f.Name())
		_, err = f.Write(req.Image)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("page file: %w", err)
		}
		req.ImagePath, req.Image = f.Name(), nil
	}
	return n.eng.Recognize(ctx, engine, req, timeout)
}

// resultMessage builds the result of job id: the response (in the message,
// or in the object store when large) or the error, classified as the
// coordinator needs it.
func (n *Node) resultMessage(ctx context.Context, id string, delivered uint64, resp *sdk.RecognizeResponse, perr error, a assets) (*nats.Msg, error) {
	msg := nats.NewMsg(resultsSubj)
	msg.Header.Set(hdrJob, id)
	msg.Header.Set(hdrNode, n.name)
	msg.Header.Set(hdrDelivered, strconv.FormatUint(delivered, 10))
	if perr != nil {
		kind := errFailed
		switch {
		case errors.Is(perr, sdk.ErrBadImage):
			kind = errBadImage
		case errors.Is(perr, sdk.ErrUnsupported):
			kind = errUnsupported
		}
		msg.Header.Set(hdrErrKind, kind)
		msg.Data = []byte(truncate(perr.Error(), 4096))
		return msg, nil
	}
	data, err := proto.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("encode page result: %w", err)
	}
	if len(data) > n.t.inlineLimit(n.nc.Load().MaxPayload()) {
		obj := fmt.Sprintf("result/%s/%s-%d", id, token(n.name), delivered)
		octx, cancel := objectContext(ctx)
		_, err := a.blobs.PutBytes(octx, obj, data)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("store page result: %w", err)
		}
		msg.Header.Set(hdrResultObj, obj)
		data = nil
	}
	msg.Data = data
	return msg, nil
}

// publishResult stores the result in the results stream, retrying through
// a short outage for up to AckWait (the job is held meanwhile).
func (n *Node) publishResult(ctx context.Context, js jetstream.JetStream, msg *nats.Msg, meta *nats.MsgMetadata) error {
	// A stopping node still stores a finished page: that is quicker than
	// having another node redo it.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.t.AckWait)
	defer cancel()
	msgID := fmt.Sprintf("%s-%s-%d", msg.Header.Get(hdrJob), n.instance, meta.NumDelivered)
	for delay := 100 * time.Millisecond; ; delay = min(2*delay, 2*time.Second) {
		_, err := js.PublishMsg(pctx, msg, jetstream.WithMsgID(msgID), jetstream.WithExpectStream(resultsStream))
		if err == nil {
			return nil
		}
		select {
		case <-pctx.Done():
			return fmt.Errorf("publish page result: %w", err)
		case <-time.After(delay):
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
