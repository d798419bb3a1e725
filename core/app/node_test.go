package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/cluster"
	"github.com/ocrbox/ocrbox/core/engines"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

type noEngines struct{}

func (noEngines) Infos(context.Context) []*sdk.EngineInfo { return nil }
func (noEngines) AcceptsPath(string) bool                 { return false }
func (noEngines) Recognize(context.Context, string, *sdk.RecognizeRequest, time.Duration) (*sdk.RecognizeResponse, error) {
	return nil, nil
}

// A worker's /metrics tells its slots, load and link.
func TestNodeMetrics(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	node, err := cluster.NewNode(cluster.Options{URL: "nats://127.0.0.1:1", NodeName: "ocr7"}, noEngines{}, 3, log)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := engines.Start(context.Background(), nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	stop, err := serveNodeMetrics(addr, node, pool, "1.2.3", log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`ocrbox_node_info{node="ocr7",version="1.2.3"} 1`,
		"ocrbox_node_slots 3",
		"ocrbox_node_busy 0",
		"ocrbox_node_connected 0",
		`ocrbox_node_pages_total{result="done"} 0`,
		"ocrbox_node_redeliveries_total 0",
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
