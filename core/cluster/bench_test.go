package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// BenchmarkRecognize measures what going over NATS costs per page: the
// engine answers at once, so the time is the coordinator → node → result
// round trip (job and result through JetStream, the image inline or
// through the object store).
func BenchmarkRecognize(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int
	}{{"300KiB", 300 << 10}, {"2MiB", 2 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			t := &testing.T{}
			opts := Options{Listen: "127.0.0.1:0", Token: testToken, StoreDir: b.TempDir(), timing: fast}
			c, err := StartCoordinator(context.Background(), opts, quiet())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			eng := newEngines("tesseract")
			eng.set(func(context.Context, string, *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
				return &sdk.RecognizeResponse{Text: "ok"}, nil
			})
			node, err := NewNode(Options{URL: c.ClientURL(), Token: testToken, NodeName: "n", timing: fast}, eng, 1, quiet())
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = node.Run(ctx) }()
			defer func() { cancel(); <-done }()
			for c.Slots() == 0 {
				time.Sleep(10 * time.Millisecond)
			}
			img := randomBytes(t, size.bytes)
			b.SetBytes(int64(size.bytes))
			b.ResetTimer()
			for range b.N {
				if _, err := c.Recognize(ctx, "tesseract", &sdk.RecognizeRequest{Image: img}, time.Minute); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
