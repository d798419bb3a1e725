// Package engines runs the OCR engine plugin processes: for each configured
// engine a fixed set of processes, each with one page in flight, handed out
// by Acquire and returned by Release. It caches each engine's Info so that
// uploads can be validated (languages, outputs) without a round trip.
//
// With an idle timeout, a process runs only while it is used: each engine
// is started once at Start to read its Info and then stopped; a process
// starts on the first page handed to it and is stopped again after the
// timeout without a page, so an idle server holds no engine's model in
// memory (an engine nobody uses costs nothing) and the first page after a
// quiet spell pays the engine's start.
package engines

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Config describes one engine to run.
type Config struct {
	Spec      host.Spec
	Processes int
	// IdleTimeout stops a process after this long without a page; it
	// starts again on the next. 0 keeps every process running.
	IdleTimeout time.Duration
}

// Pool holds the processes of every engine.
type Pool struct {
	log     *slog.Logger
	mu      sync.RWMutex
	engines map[string]*engine
	stop    chan struct{}
	once    sync.Once
}

type engine struct {
	info  *sdk.EngineInfo
	procs []*host.Process
	free  chan *host.Process
	idle  time.Duration

	usedMu sync.Mutex
	used   map[*host.Process]time.Time // when each process last finished a page
}

// Start launches every engine's processes (in parallel) and reads their Info.
func Start(ctx context.Context, cfgs []Config, log *slog.Logger) (*Pool, error) {
	p := &Pool{log: log.With("component", "engines"), engines: map[string]*engine{}, stop: make(chan struct{})}
	reap := time.Duration(0)
	for _, c := range cfgs {
		if c.Processes < 1 {
			c.Processes = 1
		}
		e := &engine{free: make(chan *host.Process, c.Processes), idle: c.IdleTimeout, used: map[*host.Process]time.Time{}}
		p.engines[c.Spec.Name] = e
		type res struct {
			proc *host.Process
			err  error
		}
		// Started now: all of them, or with an idle timeout only the one
		// that tells the engine's Info (and proves it starts at all).
		started := c.Processes
		if c.IdleTimeout > 0 {
			started = 1
			if reap == 0 || c.IdleTimeout < reap {
				reap = c.IdleTimeout
			}
		}
		results := make(chan res, started)
		for range started {
			go func() {
				proc, err := host.Start(ctx, c.Spec, log)
				results <- res{proc, err}
			}()
		}
		var errs []error
		for range started {
			r := <-results
			if r.err != nil {
				errs = append(errs, r.err)
				continue
			}
			e.procs = append(e.procs, r.proc)
			e.free <- r.proc
		}
		if len(errs) > 0 {
			p.Close()
			// Every process of an engine usually fails the same way: say it once.
			return nil, fmt.Errorf("start engine %q: %w", c.Spec.Name, distinct(errs))
		}
		eng, err := e.procs[0].Engine(ctx)
		if err != nil {
			p.Close()
			return nil, err
		}
		info, err := eng.Info(ctx)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("engine %q info: %w", c.Spec.Name, err)
		}
		if info.ProtocolVersion != sdk.ProtocolVersion {
			p.Close()
			return nil, fmt.Errorf("engine %q speaks plugin protocol %d, this ocrbox speaks %d", c.Spec.Name, info.ProtocolVersion, sdk.ProtocolVersion)
		}
		if info.Name != c.Spec.Name {
			// The configured name is what uploads use; keep the plugin's own in the log.
			p.log.Info("engine renamed by configuration", "engine", c.Spec.Name, "plugin_name", info.Name)
			info.Name = c.Spec.Name
		}
		e.info = info
		if c.IdleTimeout > 0 {
			e.procs[0].Park()
			for range c.Processes - 1 {
				proc := host.NewParked(ctx, c.Spec, log)
				e.procs = append(e.procs, proc)
				e.free <- proc
			}
		}
		p.log.Info("engine ready", "engine", c.Spec.Name, "version", info.Version,
			"processes", len(e.procs), "languages", len(info.Languages), "idle_timeout", c.IdleTimeout)
	}
	if reap > 0 {
		go p.reap(max(reap/4, 10*time.Millisecond))
	}
	return p, nil
}

// reap stops the processes that finished their last page more than their
// engine's idle timeout ago, every interval, until Close.
func (p *Pool) reap(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.RLock()
			for name, e := range p.engines {
				if e.idle > 0 {
					e.parkIdle(now, name, p.log)
				}
			}
			p.mu.RUnlock()
		}
	}
}

// parkIdle stops the idle running processes among the free ones. A
// process is taken off the free list while it is stopped, so no page can
// be handed to it meanwhile; Acquire takes another or waits.
func (e *engine) parkIdle(now time.Time, name string, log *slog.Logger) {
	for range len(e.free) {
		var proc *host.Process
		select {
		case proc = <-e.free:
		default:
			return
		}
		e.usedMu.Lock()
		last := e.used[proc]
		e.usedMu.Unlock()
		if proc.Running() && now.Sub(last) >= e.idle {
			proc.Park()
			log.Info("engine process stopped while idle", "engine", name, "idle", now.Sub(last).Round(time.Second))
		}
		e.free <- proc
	}
}

// distinct joins errs, leaving out repeated messages.
func distinct(errs []error) error {
	seen := map[string]bool{}
	var out []error
	for _, err := range errs {
		if !seen[err.Error()] {
			seen[err.Error()] = true
			out = append(out, err)
		}
	}
	if len(out) == 1 {
		return out[0]
	}
	return errors.Join(out...)
}

// Infos lists the engines, sorted by name.
func (p *Pool) Infos(context.Context) []*sdk.EngineInfo {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*sdk.EngineInfo, 0, len(p.engines))
	for _, e := range p.engines {
		out = append(out, e.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Validate checks that engine exists and supports every language in lang
// ("eng+deu") and every requested output. Errors are *domain.Error (422).
func (p *Pool) Validate(ctx context.Context, engineName, lang string, outputs []domain.FileKind) error {
	return Check(p.Infos(ctx), engineName, lang, outputs)
}

// Check is Validate against a list of engines' Infos (this server's and
// the cluster nodes'): the engine must be among them and support every
// language in lang ("eng+deu") and every requested output. Errors are
// *domain.Error (422).
func Check(infos []*sdk.EngineInfo, engineName, lang string, outputs []domain.FileKind) error {
	i := slices.IndexFunc(infos, func(e *sdk.EngineInfo) bool { return e.Name == engineName })
	if i < 0 {
		return domain.Errorf(domain.ErrInvalid, domain.CodeUnknownEngine, "unknown engine %q", engineName)
	}
	info := infos[i]
	for _, l := range strings.Split(lang, "+") {
		if l == "" || !slices.Contains(info.Languages, l) {
			return domain.Errorf(domain.ErrInvalid, domain.CodeUnsupportedLanguage,
				"engine %q has no language %q (available: %s)", engineName, l, strings.Join(info.Languages, ", "))
		}
	}
	for _, o := range outputs {
		if !slices.Contains(info.Outputs, string(o)) {
			return domain.Errorf(domain.ErrInvalid, domain.CodeUnsupportedOutput,
				"engine %q cannot produce %q", engineName, o)
		}
	}
	return nil
}

// AcceptsPath reports whether the named engine reads pages from files
// (EngineInfo.accepts_path), so the worker sends it paths instead of bytes.
func (p *Pool) AcceptsPath(engineName string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e, ok := p.engines[engineName]
	return ok && e.info.GetAcceptsPath()
}

// Acquire waits for a free process of the named engine.
func (p *Pool) Acquire(ctx context.Context, engineName string) (*host.Process, error) {
	p.mu.RLock()
	e, ok := p.engines[engineName]
	p.mu.RUnlock()
	if !ok {
		return nil, domain.Errorf(domain.ErrInvalid, domain.CodeUnknownEngine, "unknown engine %q", engineName)
	}
	select {
	case proc := <-e.free:
		return proc, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TryAcquire takes a free process of the named engine if one is free now;
// it never waits. ok is false when none is free or the engine is unknown.
func (p *Pool) TryAcquire(engineName string) (proc *host.Process, ok bool) {
	p.mu.RLock()
	e, known := p.engines[engineName]
	p.mu.RUnlock()
	if !known {
		return nil, false
	}
	select {
	case proc := <-e.free:
		return proc, true
	default:
		return nil, false
	}
}

// Has reports whether the pool runs the named engine.
func (p *Pool) Has(engineName string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, ok := p.engines[engineName]
	return ok
}

// Release returns a process to its engine's free list.
func (p *Pool) Release(engineName string, proc *host.Process) {
	p.mu.RLock()
	e := p.engines[engineName]
	p.mu.RUnlock()
	e.usedMu.Lock()
	e.used[proc] = time.Now()
	e.usedMu.Unlock()
	e.free <- proc
}

// Running reports how many engine processes are started now (the others
// are stopped while idle), of how many in all.
func (p *Pool) Running() (running, total int) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, e := range p.engines {
		total += len(e.procs)
		for _, proc := range e.procs {
			if proc.Running() {
				running++
			}
		}
	}
	return running, total
}

// Alive reports whether every engine process answers a ping.
func (p *Pool) Alive() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, e := range p.engines {
		for _, proc := range e.procs {
			if !proc.Alive() {
				return false
			}
		}
	}
	return true
}

// Close kills every process.
func (p *Pool) Close() {
	p.once.Do(func() { close(p.stop) })
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, e := range p.engines {
		for _, proc := range e.procs {
			proc.Kill()
		}
	}
}

// Restarts returns how often each engine's processes were restarted.
func (p *Pool) Restarts() map[string]int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make(map[string]int, len(p.engines))
	for name, e := range p.engines {
		for _, proc := range e.procs {
			out[name] += proc.Restarts()
		}
	}
	return out
}

// Busy reports how many engine processes are recognising a page now, of
// how many in all (the workers gauges).
func (p *Pool) Busy() (busy, total int) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, e := range p.engines {
		total += len(e.procs)
		busy += len(e.procs) - len(e.free)
	}
	return busy, total
}
