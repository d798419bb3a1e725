// Package idp starts real identity providers for integration tests in other
// packages. Today that is Dex, the OpenID Connect provider, built from the
// Go module proxy into bin/dex by scripts/build-dex and run on 127.0.0.1
// with in-memory storage, one or more static clients and static password
// users.
//
// Dex costs about a second to start (and minutes to build the first time),
// so share one per test package from TestMain where the tests allow it:
//
//	var dex *idp.Dex
//
//	func TestMain(m *testing.M) {
//		d, err := idp.LaunchDex(idp.DexOptions{Users: []idp.DexUser{{
//			Email: "ada@example.org", Username: "ada", Name: "Ada", Password: "pw"}}})
//		if err != nil { ... fail when CI=true, else let tests skip ... }
//		dex = d
//		code := m.Run()
//		d.Close()
//		os.Exit(code)
//	}
//
// A test that needs its own instance (other token lifetimes, one to stop)
// calls StartDex, which cleans up after itself and fails or skips the test
// when Dex cannot run.
//
// The package has no init side effects: importing it starts and builds
// nothing.
package idp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/test/testenv"
)

// Defaults used when DexOptions leaves a field empty.
const (
	DefaultClientID     = "ocrbox"
	DefaultClientSecret = "ocrbox-test-secret"
	DefaultRedirectURI  = "http://127.0.0.1:8080/api/v1/auth/oidc/callback"
)

// DexOptions describes the Dex instance to start. Zero values pick the
// defaults noted on each field.
type DexOptions struct {
	// ClientID, ClientSecret and RedirectURIs describe the static client
	// the code under test signs in as. Defaults: DefaultClientID,
	// DefaultClientSecret, [DefaultRedirectURI].
	ClientID     string
	ClientSecret string
	RedirectURIs []string
	// ExtraClients are further static clients, e.g. one whose tokens must
	// be rejected for their audience.
	ExtraClients []DexClient
	// Users are the static password users (local connector).
	Users []DexUser
	// IDTokenTTL is expiry.idTokens, which Dex also uses for its access
	// tokens. Default 1h. Dex takes whole seconds.
	IDTokenTTL time.Duration
	// RefreshValidIfNotUsedFor and RefreshAbsoluteLifetime bound refresh
	// tokens. Defaults 24h and 168h.
	RefreshValidIfNotUsedFor time.Duration
	RefreshAbsoluteLifetime  time.Duration
	// Dir receives config.yaml. Default: a new temporary directory that
	// Close removes.
	Dir string
	// Binary is the dex executable. Default: $OCRBOX_DEX_BIN, else bin/dex
	// in the repository, built by scripts/build-dex when missing or stale.
	Binary string
	// StartTimeout bounds the wait for the discovery document. Default 30s.
	StartTimeout time.Duration
	// IssuerAddr, when set, is the host:port of the issuer URL instead of
	// Dex's own listen address: a front proxy there (a Tap) forwards to
	// Dex.Addr.
	IssuerAddr string
	// KeyRotation is how often Dex replaces its signing key (Dex's
	// expiry.signingKeys; default 6h). Dex checks every 30 s, so a short
	// period means a new key every 30 s.
	KeyRotation time.Duration
}

// DexClient is a static OAuth2 client of Dex.
type DexClient struct {
	ID           string
	Secret       string
	RedirectURIs []string
	// Public clients have no secret (native or single-page apps).
	Public bool
}

// DexUser is a static password user. Email is the login; Password is
// hashed with bcrypt when the config is written.
type DexUser struct {
	Email    string
	Username string
	Name     string
	Password string
	// UserID is the stable subject Dex derives "sub" from. Default: the
	// Username, else the Email.
	UserID string
}

// Dex is a running Dex process.
type Dex struct {
	// Issuer is http://127.0.0.1:PORT/dex.
	Issuer string
	// ClientID, ClientSecret and RedirectURIs are the primary client's.
	ClientID     string
	ClientSecret string
	RedirectURIs []string
	// Addr is 127.0.0.1:PORT.
	Addr string
	// ConfigPath is the config file Dex runs with.
	ConfigPath string

	cmd     *exec.Cmd
	exited  chan struct{}
	logs    *logBuffer
	tempDir string // removed by Close when LaunchDex created it

	closeOnce sync.Once
}

// ErrDexUnavailable is wrapped by LaunchDex's errors when Dex cannot be
// built or started (as opposed to a bad option).
var ErrDexUnavailable = errors.New("dex unavailable")

// StartDex starts Dex for one test, stops it in t.Cleanup and prints its
// log when the test failed. When Dex cannot run, the test fails with
// CI=true and is skipped otherwise.
func StartDex(t testing.TB, opts DexOptions) *Dex {
	t.Helper()
	testenv.Slow(t)
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	d, err := LaunchDex(opts)
	if err != nil {
		testenv.RequireOrSkip(t, "%v", err)
		return nil
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dex log (%s):\n%s", d.Issuer, d.Logs())
		}
		d.Close()
	})
	return d
}

// LaunchDex starts Dex without a testing.TB, for TestMain. The caller must
// Close it. Errors from building or starting wrap ErrDexUnavailable.
func LaunchDex(opts DexOptions) (*Dex, error) {
	opts = opts.withDefaults()
	bin, err := dexBinary(opts.Binary)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrDexUnavailable, err)
	}
	var tempDir string
	if opts.Dir == "" {
		tempDir, err = os.MkdirTemp("", "ocrbox-dex-")
		if err != nil {
			return nil, fmt.Errorf("start dex: %w", err)
		}
		opts.Dir = tempDir
	}
	// A port picked by listening on :0 may be taken again before Dex binds
	// it; try a few.
	var lastErr error
	for range 3 {
		d, err := launchOnce(bin, opts)
		if err == nil {
			d.tempDir = tempDir
			return d, nil
		}
		lastErr = err
	}
	if tempDir != "" {
		os.RemoveAll(tempDir)
	}
	return nil, lastErr
}

func launchOnce(bin string, opts DexOptions) (*Dex, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("%w: pick a port: %v", ErrDexUnavailable, err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	issuer := "http://" + addr + "/dex"
	if opts.IssuerAddr != "" {
		issuer = "http://" + opts.IssuerAddr + "/dex"
	}
	cfgPath, err := writeConfig(opts, issuer, addr)
	if err != nil {
		return nil, err
	}
	logs := &logBuffer{max: 1 << 20}
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Dir = opts.Dir
	cmd.Stdout = logs
	cmd.Stderr = logs
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: run %s: %v", ErrDexUnavailable, bin, err)
	}
	d := &Dex{
		Issuer:       issuer,
		ClientID:     opts.ClientID,
		ClientSecret: opts.ClientSecret,
		RedirectURIs: opts.RedirectURIs,
		Addr:         addr,
		ConfigPath:   cfgPath,
		cmd:          cmd,
		exited:       make(chan struct{}),
		logs:         logs,
	}
	go func() {
		_ = cmd.Wait()
		close(d.exited)
	}()
	if err := d.waitReady("http://"+addr+"/dex", opts.StartTimeout); err != nil {
		d.Stop()
		return nil, fmt.Errorf("%w: %v\ndex log:\n%s", ErrDexUnavailable, err, logs.String())
	}
	return d, nil
}

// waitReady polls the discovery document at Dex's own address (base is
// its issuer URL there) until Dex answers 200.
func (d *Dex) waitReady(base string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	url := base + "/.well-known/openid-configuration"
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-d.exited:
			return fmt.Errorf("dex exited before it was ready (%v)", d.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("dex not ready at %s after %v", url, timeout)
		case <-tick.C:
		}
	}
}

// Stop kills Dex and waits for it to exit, leaving its files in place: the
// issuer then refuses connections, as an IdP that is down.
func (d *Dex) Stop() {
	if d.cmd.Process != nil {
		_ = d.cmd.Process.Kill()
	}
	<-d.exited
}

// Close stops Dex and removes the directory LaunchDex created. Safe to call
// more than once.
func (d *Dex) Close() {
	d.closeOnce.Do(func() {
		d.Stop()
		if d.tempDir != "" {
			os.RemoveAll(d.tempDir)
		}
	})
}

// Logs returns what Dex wrote to stdout and stderr (the last MiB).
func (d *Dex) Logs() string { return d.logs.String() }

// RedirectURI is the primary client's first redirect URI.
func (d *Dex) RedirectURI() string { return d.RedirectURIs[0] }

func (o DexOptions) withDefaults() DexOptions {
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if len(o.RedirectURIs) == 0 {
		o.RedirectURIs = []string{DefaultRedirectURI}
	}
	if o.IDTokenTTL <= 0 {
		o.IDTokenTTL = time.Hour
	}
	if o.RefreshValidIfNotUsedFor <= 0 {
		o.RefreshValidIfNotUsedFor = 24 * time.Hour
	}
	if o.RefreshAbsoluteLifetime <= 0 {
		o.RefreshAbsoluteLifetime = 7 * 24 * time.Hour
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	return o
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logBuffer keeps the last max bytes written to it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
