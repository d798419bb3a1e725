package host_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// echoEngine is served by this test binary when the host re-executes it as
// `<test binary> plugin echo`, exactly as ocrbox serves built-ins.
type echoEngine struct{ settings map[string]string }

func (e *echoEngine) Configure(_ context.Context, s map[string]string) error {
	if s["fail"] == "yes" {
		return errors.New("configure refused: fail=yes")
	}
	e.settings = s
	return nil
}
func (e *echoEngine) Info(context.Context) (*sdk.EngineInfo, error) {
	return &sdk.EngineInfo{Name: "echo", Version: "1", Languages: []string{"eng"}, Outputs: []string{"txt"}}, nil
}
func (e *echoEngine) Recognize(_ context.Context, r *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
	if string(r.GetImage()) == "crash" {
		os.Exit(3)
	}
	env := ""
	if r.GetOptions()["env"] != "" {
		env = os.Getenv(r.GetOptions()["env"])
	}
	return &sdk.RecognizeResponse{Text: fmt.Sprintf("%d bytes pid=%d setting=%s env=%s",
		len(r.GetImage()), os.Getpid(), e.settings["greeting"], env)}, nil
}

func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "plugin" && os.Args[2] == "echo" {
		sdk.ServeEngine(&echoEngine{})
		os.Exit(0)
	}
	if len(os.Args) == 3 && os.Args[1] == "plugin" && os.Args[2] == "echo-next-protocol" {
		// A plugin built for a future protocol version.
		hs := sdk.Handshake
		hs.ProtocolVersion = sdk.ProtocolVersion + 1
		plugin.Serve(&plugin.ServeConfig{HandshakeConfig: hs, GRPCServer: plugin.DefaultGRPCServer,
			Plugins: map[string]plugin.Plugin{sdk.KindEngine: &sdk.EnginePlugin{Impl: &echoEngine{}}}})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startEcho(t *testing.T, spec host.Spec) *host.Process {
	t.Helper()
	spec.Name, spec.Kind = "echo", sdk.KindEngine
	p, err := host.Start(context.Background(), spec, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p
}

func recognize(t *testing.T, p *host.Process, img []byte, opts map[string]string) (*sdk.RecognizeResponse, error) {
	t.Helper()
	eng, err := p.Engine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return eng.Recognize(context.Background(), &sdk.RecognizeRequest{Image: img, Options: opts})
}

func TestConfigureAndLargeMessages(t *testing.T) {
	p := startEcho(t, host.Spec{Settings: map[string]string{"greeting": "hi"}})
	img := make([]byte, 40<<20) // far past gRPC's 4 MiB default
	resp, err := recognize(t, p, img, nil)
	if err != nil {
		t.Fatalf("40 MiB page: %v", err)
	}
	if !strings.HasPrefix(resp.GetText(), fmt.Sprintf("%d bytes", len(img))) || !strings.Contains(resp.GetText(), "setting=hi") {
		t.Fatalf("got %q", resp.GetText())
	}
}

func TestPluginEnvironmentIsMinimal(t *testing.T) {
	t.Setenv("OCRBOX_SECRET_FOR_TEST", "hunter2")
	p := startEcho(t, host.Spec{Env: []string{"EXTRA=1"}})
	for env, want := range map[string]string{"OCRBOX_SECRET_FOR_TEST": "", "OMP_THREAD_LIMIT": "1", "EXTRA": "1"} {
		resp, err := recognize(t, p, []byte("x"), map[string]string{"env": env})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(resp.GetText(), "env="+want) {
			t.Errorf("%s: got %q, want env=%s", env, resp.GetText(), want)
		}
	}
}

func TestRestartAfterCrash(t *testing.T) {
	p := startEcho(t, host.Spec{})
	if _, err := recognize(t, p, []byte("crash"), nil); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("a crash mid-call must look transient, got %v", err)
	}
	// Between the crash and go-plugin reaping the process a call can still
	// reach the dead socket; the caller's retry (the worker's backoff) covers
	// that window, as this loop does.
	var resp *sdk.RecognizeResponse
	var err error
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err = recognize(t, p, []byte("ok"), nil)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if p.Restarts() != 1 {
		t.Fatalf("restarts = %d, want 1", p.Restarts())
	}
	if !strings.HasPrefix(resp.GetText(), "2 bytes") {
		t.Fatalf("got %q", resp.GetText())
	}
}

func TestExplicitRestartReplacesProcess(t *testing.T) {
	p := startEcho(t, host.Spec{})
	r1, _ := recognize(t, p, []byte("a"), nil)
	if err := p.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	r2, _ := recognize(t, p, []byte("a"), nil)
	pid := func(s string) string { return s[strings.Index(s, "pid="):strings.Index(s, " setting")] }
	if pid(r1.GetText()) == pid(r2.GetText()) {
		t.Fatalf("same process after Restart: %s", r1.GetText())
	}
}

func TestChildDiesWithKill(t *testing.T) {
	p := startEcho(t, host.Spec{})
	resp, _ := recognize(t, p, []byte("a"), nil)
	var pid int
	fmt.Sscanf(resp.GetText()[strings.Index(resp.GetText(), "pid="):], "pid=%d", &pid)
	p.Kill()
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Fatalf("plugin pid %d still alive after Kill", pid)
	}
	if _, err := p.Engine(context.Background()); !errors.Is(err, host.ErrClosed) {
		t.Fatalf("after Kill: %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	notExec := filepath.Join(dir, "plain")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notPlugin := filepath.Join(dir, "hello")
	if err := os.WriteFile(notPlugin, []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	selfSum, err := fileSum(self)
	if err != nil {
		t.Fatal(err)
	}
	wrongSum := sha256.Sum256([]byte("something else"))
	tests := []struct {
		name string
		spec host.Spec
		want string
	}{
		{"missing file", host.Spec{Path: filepath.Join(dir, "nope")}, "no such file"},
		{"not executable", host.Spec{Path: notExec}, "not an executable"},
		{"checksum mismatch", host.Spec{Path: self, Args: []string{"plugin", "echo"}, SHA256: wrongSum[:]}, "does not match its pinned sha256"},
		{"not a plugin", host.Spec{Path: notPlugin}, "did not answer with the go-plugin handshake"},
		{"newer protocol", host.Spec{Path: self, Args: []string{"plugin", "echo-next-protocol"}, SHA256: selfSum},
			fmt.Sprintf("speaks plugin protocol version %d; this ocrbox speaks version %d", sdk.ProtocolVersion+1, sdk.ProtocolVersion)},
		{"configure fails", host.Spec{Settings: map[string]string{"fail": "yes"}}, "configure refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.Name, tt.spec.Kind = "echo", sdk.KindEngine
			_, err := host.Start(context.Background(), tt.spec, quietLog())
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.want)) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func fileSum(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return sum[:], nil
}

func TestHCLogBridge(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, err := host.Start(context.Background(), host.Spec{Name: "echo", Kind: sdk.KindEngine}, log)
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	if !strings.Contains(buf.String(), `"plugin":"echo"`) {
		t.Fatalf("plugin lifecycle not logged through slog: %s", buf.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		for _, key := range []string{`"plugin":`, `"component":`} {
			if strings.Count(line, key) > 1 {
				t.Errorf("key %s twice in one line: %s", key, line)
			}
		}
	}
}

func TestSupervisorRestartsDeadProcess(t *testing.T) {
	p := startEcho(t, host.Spec{HealthInterval: 50 * time.Millisecond})
	resp, _ := recognize(t, p, []byte("a"), nil)
	var pid int
	fmt.Sscanf(resp.GetText()[strings.Index(resp.GetText(), "pid="):], "pid=%d", &pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.Restarts() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if p.Restarts() != 1 || !p.Alive() {
		t.Fatalf("restarts=%d alive=%v: the supervisor did not replace the killed process", p.Restarts(), p.Alive())
	}
}
