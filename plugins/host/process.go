// Package host starts, supervises and talks to ocrbox plugins: built-in ones
// by re-executing this binary as `ocrbox plugin NAME`, external ones from a
// path with a SHA-256 checksum. Each Process is one plugin subprocess that is
// restarted with backoff when it dies, killed with the host (Pdeathsig), and
// configured again after every start.
package host

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/sethvargo/go-retry"

	"github.com/ocrbox/ocrbox/core/cpuprio"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Spec says how to start one plugin process.
type Spec struct {
	// Name is the plugin's name, e.g. "tesseract" or "local".
	Name string
	// Kind is sdk.KindEngine or sdk.KindAuth.
	Kind string
	// Path is an external plugin's executable; empty means this binary,
	// started as `<self> plugin <Name>`.
	Path string
	// Args are extra arguments for an external plugin.
	Args []string
	// Env is added to the plugin's minimal environment. Plugins never inherit
	// the host's environment, so ocrbox's secrets stay in the host.
	Env []string
	// SHA256 pins an external plugin's executable (go-plugin SecureConfig).
	SHA256 []byte
	// Settings are passed to Configure after every start.
	Settings map[string]string
	// StartTimeout bounds the handshake; default 30s.
	StartTimeout time.Duration
	// HealthInterval is how often a dead process is noticed and restarted
	// without waiting for the next call; default 5s, negative disables.
	HealthInterval time.Duration
	// Nice lowers the process's CPU priority (every thread's nice value),
	// so CPU-bound engines leave the HTTP server responsive; 0 = as the
	// host.
	Nice int
}

// Process is one supervised plugin subprocess.
type Process struct {
	spec Spec
	log  *slog.Logger

	mu       sync.Mutex
	client   *plugin.Client
	raw      any
	restarts int
	closed   bool
	// parked: the subprocess was stopped on purpose (Park, or never
	// started: NewParked); the next call starts it, and the supervisor
	// leaves it alone.
	parked bool
	done   chan struct{}
}

// ErrClosed is returned after Kill.
var ErrClosed = errors.New("plugin process closed")

// Start launches the plugin, performs the handshake and calls Configure.
func Start(ctx context.Context, spec Spec, log *slog.Logger) (*Process, error) {
	if spec.StartTimeout == 0 {
		spec.StartTimeout = 30 * time.Second
	}
	if spec.HealthInterval == 0 {
		spec.HealthInterval = 5 * time.Second
	}
	p := &Process{spec: spec, log: log.With("component", "plugin", "plugin", spec.Name), done: make(chan struct{})}
	p.mu.Lock()
	err := p.startLocked(ctx)
	p.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if spec.HealthInterval > 0 {
		go p.supervise(context.WithoutCancel(ctx))
	}
	return p, nil
}

// NewParked returns a Process whose subprocess starts on first use (the
// first Engine or Auth call), so a plugin nobody uses costs no memory.
func NewParked(ctx context.Context, spec Spec, log *slog.Logger) *Process {
	if spec.StartTimeout == 0 {
		spec.StartTimeout = 30 * time.Second
	}
	if spec.HealthInterval == 0 {
		spec.HealthInterval = 5 * time.Second
	}
	p := &Process{spec: spec, log: log.With("component", "plugin", "plugin", spec.Name), done: make(chan struct{}), parked: true}
	if spec.HealthInterval > 0 {
		go p.supervise(context.WithoutCancel(ctx))
	}
	return p
}

// Park stops the subprocess to give its memory back; the next call starts
// it again (not counted as a restart). The caller makes sure no call is in
// flight.
func (p *Process) Park() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.parked {
		return
	}
	p.parked = true
	if p.client != nil {
		p.client.Kill()
		p.client, p.raw = nil, nil
	}
	p.log.Debug("plugin stopped while idle")
}

// Running reports whether the subprocess is started (not parked or
// closed).
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.closed && !p.parked && p.client != nil && !p.client.Exited()
}

// supervise restarts a process that died between calls, so readiness
// recovers and the next page does not pay for the restart.
func (p *Process) supervise(ctx context.Context) {
	t := time.NewTicker(p.spec.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
			if p.isParked() {
				continue
			}
			if _, err := p.get(ctx); err != nil && !errors.Is(err, ErrClosed) {
				p.log.Error("plugin is down and could not be restarted", "error", err)
			}
		}
	}
}

func (p *Process) isParked() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.parked
}

// minimalEnv is what every plugin gets: enough to run, nothing secret.
func minimalEnv(extra []string) []string {
	// MALLOC_ARENA_MAX=2: glibc gives each thread that mallocs its own
	// arena; an engine (tesseract's threads under cgo) holds 10-15 MiB less
	// anonymous memory with two, at no CPU cost (docs/benchmarks.md,
	// "Where the working peak comes from").
	env := []string{"OMP_THREAD_LIMIT=1", "LANG=C.UTF-8", "MALLOC_ARENA_MAX=2"}
	for _, k := range []string{"PATH", "TMPDIR", "TESSDATA_PREFIX", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

func (p *Process) command() (*exec.Cmd, *plugin.SecureConfig, error) {
	var cmd *exec.Cmd
	var secure *plugin.SecureConfig
	if p.spec.Path == "" {
		self, err := os.Executable()
		if err != nil {
			return nil, nil, fmt.Errorf("find own executable: %w", err)
		}
		cmd = exec.Command(self, "plugin", p.spec.Name)
	} else {
		st, err := os.Stat(p.spec.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("plugin %q: executable %s: %w", p.spec.Name, p.spec.Path, err)
		}
		if st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			return nil, nil, fmt.Errorf("plugin %q: %s is not an executable file", p.spec.Name, p.spec.Path)
		}
		cmd = exec.Command(p.spec.Path, p.spec.Args...)
		if len(p.spec.SHA256) > 0 {
			secure = &plugin.SecureConfig{Checksum: p.spec.SHA256, Hash: sha256.New()}
		}
	}
	cmd.Env = minimalEnv(p.spec.Env)
	// The plugin dies with the host even if the host is SIGKILLed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd, secure, nil
}

func (p *Process) startLocked(ctx context.Context) error {
	cmd, secure, err := p.command()
	if err != nil {
		return err
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          sdk.PluginMap(),
		Cmd:              cmd,
		SecureConfig:     secure,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		GRPCDialOptions:  sdk.DialOptions(),
		Logger:           newHCLog(p.log, p.spec.Name),
		SyncStdout:       newLineLogger(p.log, p.spec.Name, "stdout"),
		SyncStderr:       newLineLogger(p.log, p.spec.Name, "stderr"),
		StartTimeout:     p.spec.StartTimeout,
		SkipHostEnv:      true,
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return p.explainStart(err)
	}
	if err := cpuprio.Lower(pid(client), p.spec.Nice); err != nil {
		p.log.Warn("could not lower the plugin's CPU priority", "error", err)
	}
	raw, err := rpc.Dispense(p.spec.Kind)
	if err != nil {
		client.Kill()
		return fmt.Errorf("dispense plugin %q as %s: %w", p.spec.Name, p.spec.Kind, err)
	}
	cfgCtx, cancel := context.WithTimeout(ctx, p.spec.StartTimeout)
	defer cancel()
	if c, ok := raw.(interface {
		Configure(context.Context, map[string]string) error
	}); ok {
		if err := c.Configure(cfgCtx, p.spec.Settings); err != nil {
			client.Kill()
			return fmt.Errorf("configure plugin %q: %w", p.spec.Name, err)
		}
	}
	p.client, p.raw = client, raw
	p.log.Debug("plugin started", "pid", pid(client))
	return nil
}

func pid(c *plugin.Client) int {
	if rc := c.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// get returns the live dispensed client, restarting a dead process with
// exponential backoff first.
func (p *Process) get(ctx context.Context) (any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if p.parked {
		// A start on demand: a failure is retried like a restart.
		if err := p.restartLocked(ctx); err != nil {
			return nil, err
		}
		p.restarts-- // not a crash
		p.log.Info("plugin started on first use")
		return p.raw, nil
	}
	if p.client != nil && !p.client.Exited() {
		return p.raw, nil
	}
	if p.client != nil {
		p.log.Warn("plugin process exited; restarting")
	}
	if err := p.restartLocked(ctx); err != nil {
		return nil, err
	}
	return p.raw, nil
}

func (p *Process) restartLocked(ctx context.Context) error {
	if p.client != nil {
		p.client.Kill()
		p.client, p.raw = nil, nil
	}
	b := retry.WithMaxRetries(4, retry.WithCappedDuration(5*time.Second, retry.NewExponential(200*time.Millisecond)))
	err := retry.Do(ctx, b, func(ctx context.Context) error {
		if err := p.startLocked(ctx); err != nil {
			p.log.Warn("plugin restart failed", "error", err)
			return retry.RetryableError(err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("restart plugin %q: %w", p.spec.Name, err)
	}
	p.restarts++
	p.parked = false
	return nil
}

// Restart kills the process and starts a fresh one, e.g. after a call that
// hung past its deadline.
func (p *Process) Restart(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	return p.restartLocked(ctx)
}

// Engine returns the process as an OCR engine.
func (p *Process) Engine(ctx context.Context) (sdk.OCREngine, error) {
	raw, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	e, ok := raw.(sdk.OCREngine)
	if !ok {
		return nil, fmt.Errorf("plugin %q is not an OCR engine", p.spec.Name)
	}
	return e, nil
}

// Auth returns the process as an auth provider.
func (p *Process) Auth(ctx context.Context) (sdk.AuthProvider, error) {
	raw, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	a, ok := raw.(sdk.AuthProvider)
	if !ok {
		return nil, fmt.Errorf("plugin %q is not an auth provider", p.spec.Name)
	}
	return a, nil
}

// Alive reports whether the process is running and answers a ping.
func (p *Process) Alive() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.parked && !p.closed {
		return true // asleep on purpose; the next call starts it
	}
	if p.closed || p.client == nil || p.client.Exited() {
		return false
	}
	rpc, err := p.client.Client()
	if err != nil {
		return false
	}
	return rpc.Ping() == nil
}

// Restarts counts how often the process was restarted.
func (p *Process) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// Name is the plugin's name.
func (p *Process) Name() string { return p.spec.Name }

// Kill stops the process for good.
func (p *Process) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		close(p.done)
	}
	p.closed = true
	if p.client != nil {
		p.client.Kill()
		p.client, p.raw = nil, nil
	}
}
