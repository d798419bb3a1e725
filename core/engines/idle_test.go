package engines_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/engines"
	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// pidEngine answers every page with its process id, so a test can tell
// which process recognised it.
type pidEngine struct{}

func (pidEngine) Configure(context.Context, map[string]string) error { return nil }
func (pidEngine) Info(context.Context) (*sdk.EngineInfo, error) {
	return &sdk.EngineInfo{Name: "pid", Version: "1", Languages: []string{"eng"}, Outputs: []string{"txt"},
		ProtocolVersion: sdk.ProtocolVersion}, nil
}
func (pidEngine) Recognize(context.Context, *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
	return &sdk.RecognizeResponse{Text: strconv.Itoa(os.Getpid())}, nil
}

// TestMain serves the engine when the host re-executes this test binary as
// `<binary> plugin pid`, as ocrbox serves its built-ins.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "plugin" && os.Args[2] == "pid" {
		sdk.ServeEngine(pidEngine{})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func recognize(t *testing.T, p *engines.Pool) string {
	t.Helper()
	ctx := context.Background()
	proc, err := p.Acquire(ctx, "pid")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release("pid", proc)
	eng, err := proc.Engine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := eng.Recognize(ctx, &sdk.RecognizeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return r.GetText()
}

func waitRunning(t *testing.T, p *engines.Pool, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		running, _ := p.Running()
		if running == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d engine processes running, want %d", running, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIdleEnginesStop: with an idle timeout nothing runs after Start (the
// Info was read and kept), the first page starts a process, it stops after
// the timeout without pages, the next page starts a new one; without a
// timeout every process runs all the time, as before.
func TestIdleEnginesStop(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	spec := host.Spec{Name: "pid", Kind: sdk.KindEngine}

	t.Run("idle timeout", func(t *testing.T) {
		p, err := engines.Start(context.Background(), []engines.Config{{Spec: spec, Processes: 2, IdleTimeout: 300 * time.Millisecond}}, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		if running, total := p.Running(); running != 0 || total != 2 {
			t.Fatalf("after Start: %d of %d running, want 0 of 2", running, total)
		}
		if infos := p.Infos(context.Background()); len(infos) != 1 || infos[0].Name != "pid" {
			t.Fatalf("Infos = %v: the engine's Info must be known without a running process", infos)
		}
		if !p.Alive() {
			t.Fatal("stopped idle processes must not make the pool unhealthy")
		}
		first := recognize(t, p)
		if running, _ := p.Running(); running != 1 {
			t.Fatalf("after one page %d processes run, want 1 (the other was never needed)", running)
		}
		if again := recognize(t, p); again != first {
			// Two pages in a row go to the process that is already up.
			if running, _ := p.Running(); running > 2 {
				t.Fatalf("%d processes running", running)
			}
		}
		waitRunning(t, p, 0)
		if next := recognize(t, p); next == first {
			t.Fatalf("pid %s answered after its process was stopped", next)
		}
	})

	t.Run("no timeout", func(t *testing.T) {
		p, err := engines.Start(context.Background(), []engines.Config{{Spec: spec, Processes: 2}}, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		waitRunning(t, p, 2)
		recognize(t, p)
		time.Sleep(200 * time.Millisecond)
		if running, _ := p.Running(); running != 2 {
			t.Fatalf("%d running without an idle timeout, want 2", running)
		}
	})
}
