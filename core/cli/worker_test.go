package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/cluster"
	"github.com/ocrbox/ocrbox/core/config"
)

func TestLocalURL(t *testing.T) {
	tests := []struct {
		c    config.Cluster
		want string
	}{
		{config.Cluster{Listen: "0.0.0.0:4222"}, "nats://127.0.0.1:4222"},
		{config.Cluster{Listen: ":4222"}, "nats://127.0.0.1:4222"},
		{config.Cluster{Listen: "[::]:4222"}, "nats://127.0.0.1:4222"},
		{config.Cluster{Listen: "10.0.0.5:4222", TLSCert: "c.pem"}, "tls://10.0.0.5:4222"},
		{config.Cluster{URL: "nats://n:4222"}, ""},
	}
	for _, tt := range tests {
		if got := localURL(tt.c); got != tt.want {
			t.Errorf("localURL(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestWriteNodesTable(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	err := writeNodesTable(&b, []cluster.NodeStatus{
		{Name: "ocr1", Up: true, Engines: []string{"ocrad", "tesseract"}, Slots: 4, Busy: 3, Done: 120, Failed: 2,
			LastSeen: now.Add(-time.Second), Version: "1.2.0"},
		{Name: "ocr2", Engines: []string{"tesseract"}, Slots: 2, LastSeen: now.Add(-5 * time.Minute), Version: "1.2.0"},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("table:\n%s", b.String())
	}
	for i, want := range [][]string{
		{"NAME", "STATE", "ENGINES", "SLOTS", "BUSY", "DONE", "FAILED", "LAST", "SEEN", "VERSION"},
		{"ocr1", "up", "ocrad,tesseract", "4", "3", "120", "2", "1s", "ago", "1.2.0"},
		{"ocr2", "down", "tesseract", "2", "0", "0", "0", "5m0s", "ago", "1.2.0"},
	} {
		if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("line %d: %q, want %q", i, got, want)
		}
	}
	b.Reset()
	if err := writeNodesTable(&b, nil, now); err != nil || !strings.Contains(b.String(), "no worker node") {
		t.Errorf("empty table: %q %v", b.String(), err)
	}
}

// The worker command refuses to start without a cluster to join.
func TestWorkerNeedsJoin(t *testing.T) {
	var stderr bytes.Buffer
	t.Chdir(t.TempDir()) // no ./config.toml
	t.Setenv("OCRBOX_CLUSTER_URL", "")
	code := Run([]string{"worker", "--workers", "1"}, nil, &bytes.Buffer{}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "--join") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
