package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

func recognize(t *testing.T, c *Coordinator, engine string, img []byte) (*sdk.RecognizeResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.Recognize(ctx, engine, &sdk.RecognizeRequest{Image: img, Languages: []string{"eng"}, PageNumber: 1}, time.Minute)
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// objects counts the objects in the blobs bucket.
func objects(t *testing.T, c *Coordinator) int {
	t.Helper()
	list, err := c.blobs.List(context.Background())
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		t.Fatal(err)
	}
	return len(list)
}

// Pages and results go inside their messages, or through the object store
// when too large: on the embedded server (8 MiB messages) and on one with
// NATS's default max_payload of 1 MiB (an existing NATS system).
func TestRoundTrip(t *testing.T) {
	for _, server := range []struct {
		name       string
		maxPayload int32
		big        int // above the server's message size
	}{{"embedded", 0, 9 << 20}, {"nats default", 1 << 20, 900 << 10}} {
		t.Run(server.name, func(t *testing.T) {
			roundTrip(t, server.maxPayload, server.big)
		})
	}
}

func roundTrip(t *testing.T, maxPayload int32, big int) {
	c := startCoordinator(t, func(o *Options) { o.timing.MaxPayload = maxPayload })
	eng := newEngines("tesseract")
	startNode(t, c, "n1", 2, eng)
	waitFor(t, "node", func() bool { return c.Free("tesseract") == 2 })

	tests := []struct {
		name   string
		img    []byte
		result int // bytes of text in the result
		objs   int // objects stored on the way
	}{
		{"small page", []byte("a small page"), 10, 0},
		{"medium page", randomBytes(t, 700<<10), 10, 0},
		{"large page", randomBytes(t, big), 10, 1},
		{"large result", []byte("a page with a long text"), big, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := storedObjects(t, c)
			eng.set(func(_ context.Context, _ string, req *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
				text := digest(req.GetImage())
				return &sdk.RecognizeResponse{Text: text + string(bytes.Repeat([]byte("x"), tt.result))}, nil
			})
			resp, err := recognize(t, c, "tesseract", tt.img)
			if err != nil {
				t.Fatal(err)
			}
			if want := digest(tt.img); len(resp.GetText()) != len(want)+tt.result || resp.GetText()[:len(want)] != want {
				t.Fatalf("result %.40q…, want the digest %s of the page sent and %d bytes", resp.GetText(), want, tt.result)
			}
			if n := objects(t, c); n != 0 {
				t.Errorf("%d objects left in the object store", n)
			}
			if n := storedObjects(t, c) - before; n != tt.objs {
				t.Errorf("%d objects went through the object store, want %d", n, tt.objs)
			}
		})
	}
	if st := c.Stats(); st.PagesSent != 4 || st.Results != 4 || st.Duplicates != 0 {
		t.Errorf("stats %+v, want 4 sent, 4 results", st)
	}
}

// storedObjects counts the objects ever put (each is one metadata
// message on its own subject in the store's stream).
func storedObjects(t *testing.T, c *Coordinator) int {
	t.Helper()
	s, err := c.js.Stream(context.Background(), "OBJ_"+blobsBucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter("$O."+blobsBucket+".M.>"))
	if err != nil {
		t.Fatal(err)
	}
	return int(info.State.NumSubjects)
}

// A page given by path on the coordinator reaches the node as bytes; an
// engine that reads files gets a file of the node's own.
func TestPageByPath(t *testing.T) {
	c := startCoordinator(t)
	eng := newEngines("tesseract")
	eng.path = true
	startNode(t, c, "n1", 1, eng)
	waitFor(t, "node", func() bool { return c.Free("tesseract") == 1 })
	page := filepath.Join(t.TempDir(), "page.png")
	img := []byte("the page's bytes")
	if err := os.WriteFile(page, img, 0o600); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Recognize(context.Background(), "tesseract", &sdk.RecognizeRequest{ImagePath: page}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetText() != digest(img) {
		t.Fatalf("text %q, want %q", resp.GetText(), digest(img))
	}
	got := eng.reqs[0].GetImagePath()
	if got == "" || got == page || len(eng.reqs[0].GetImage()) != 0 {
		t.Fatalf("engine got path %q and %d bytes; want a node-side file, not %q", got, len(eng.reqs[0].GetImage()), page)
	}
	if _, err := os.Stat(got); !os.IsNotExist(err) {
		t.Errorf("node's page file %s left behind (%v)", got, err)
	}
}

func TestEngineErrorsKeepTheirKind(t *testing.T) {
	c := startCoordinator(t)
	eng := newEngines("tesseract")
	startNode(t, c, "n1", 1, eng)
	waitFor(t, "node", func() bool { return c.Free("tesseract") == 1 })
	tests := []struct {
		name      string
		err       error
		badImage  bool
		unsupport bool
	}{
		{"bad image", fmtErr(sdk.ErrBadImage, "not a PNG"), true, false},
		{"unsupported", fmtErr(sdk.ErrUnsupported, "no language klingon"), false, true},
		{"transient", errBoom, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng.set(func(context.Context, string, *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
				return nil, tt.err
			})
			_, err := recognize(t, c, "tesseract", []byte("page"))
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, sdk.ErrBadImage) != tt.badImage || errors.Is(err, sdk.ErrUnsupported) != tt.unsupport {
				t.Fatalf("error %q: bad image %v, unsupported %v", err, errors.Is(err, sdk.ErrBadImage), errors.Is(err, sdk.ErrUnsupported))
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tt.err.Error())) || !bytes.Contains([]byte(err.Error()), []byte("n1")) {
				t.Errorf("error %q does not tell the engine's message and the node", err)
			}
		})
	}
	waitFor(t, "failed count", func() bool { return startedNodeFailed(c, "n1") == 3 })
}

func startedNodeFailed(c *Coordinator, name string) int64 {
	for _, n := range c.Nodes() {
		if n.Name == name && n.Up {
			return n.Failed
		}
	}
	return -1
}

func fmtErr(kind error, msg string) error { return fmt.Errorf("%w: %s", kind, msg) }

// A node behind a slow link still gets large pages: a 3 MiB job at
// 1.5 MiB/s takes two seconds to arrive.
func TestSlowLink(t *testing.T) {
	c := startCoordinator(t, func(o *Options) { o.timing.AckWait = time.Minute })
	proxy := newCutProxy(t, strings.TrimPrefix(c.ClientURL(), "nats://"), 3<<19)
	eng := newEngines("tesseract")
	startNode(t, c, "far", 1, eng, func(o *Options) { o.URL, o.timing.AckWait = proxy.url(), time.Minute })
	waitFor(t, "node", func() bool { return c.Slots() == 1 })
	img := randomBytes(t, 3<<20)
	t0 := time.Now()
	resp, err := recognize(t, c, "tesseract", img)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetText() != digest(img) || eng.count() != 1 {
		t.Fatalf("result %q after %d engine calls", resp.GetText(), eng.count())
	}
	if d := time.Since(t0); d < 1500*time.Millisecond {
		t.Errorf("took %s: the link was not slow", d)
	}
}
