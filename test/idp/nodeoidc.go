package idp

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/test/testenv"
)

// NodeOIDCOptions describes a node-oidc-provider instance (the npm package
// oidc-provider, OpenID Certified) run by test/idp/oidcprovider/provider.mjs.
// Zero values pick the defaults noted on each field.
type NodeOIDCOptions struct {
	// Clients are the registered clients. Default: one client
	// DefaultClientID / DefaultClientSecret / [DefaultRedirectURI] with
	// the authorization_code and refresh_token grants.
	Clients []NodeOIDCClient
	// Accounts are the people who can sign in at the login form.
	Accounts []NodeOIDCAccount
	// AccessTokenTTL is the lifetime of access and ID tokens. Default 1h;
	// whole seconds.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL bounds refresh tokens and grants. Default 24h.
	RefreshTokenTTL time.Duration
	// Dir receives the config file. Default: t.TempDir().
	Dir string
	// StartTimeout bounds the wait for the READY line. Default 30s.
	StartTimeout time.Duration
}

// NodeOIDCClient is a registered OAuth 2.0 client.
type NodeOIDCClient struct {
	ID           string   `json:"client_id"`
	Secret       string   `json:"client_secret"`
	RedirectURIs []string `json:"redirect_uris"`
	// GrantTypes default to authorization_code and refresh_token; without
	// refresh_token the provider issues no refresh token.
	GrantTypes []string `json:"grant_types"`
}

// NodeOIDCAccount is a person at the provider. Email is the login.
type NodeOIDCAccount struct {
	Subject  string `json:"sub"`
	Email    string `json:"email"`
	Verified bool   `json:"email_verified"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// NodeOIDC is a running node-oidc-provider.
type NodeOIDC struct {
	// Issuer is http://127.0.0.1:PORT.
	Issuer string
	// ClientID, ClientSecret and RedirectURIs are the first client's.
	ClientID     string
	ClientSecret string
	RedirectURIs []string

	control string // base URL of the control port
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	exited  chan struct{}
	logs    *logBuffer
	once    sync.Once
}

// NodeOIDCCounts is what the provider counted since it started.
type NodeOIDCCounts struct {
	// Codes: token-endpoint requests per authorization code.
	Codes map[string]int `json:"codes"`
	// Grants: token-endpoint requests per grant_type.
	Grants map[string]int `json:"grants"`
	// Revocations: requests to the revocation endpoint (RFC 7009).
	Revocations int `json:"revocations"`
	// LiveRefreshTokens: refresh tokens stored, neither used nor revoked.
	LiveRefreshTokens int `json:"live_refresh_tokens"`
	// Kids: the signing keys in the JWKS, the one in use first.
	Kids []string `json:"kids"`
}

// ErrNodeOIDCUnavailable is wrapped by LaunchNodeOIDC's errors when node or
// the npm packages (npm ci --prefix test/idp/oidcprovider) are missing.
var ErrNodeOIDCUnavailable = errors.New("node-oidc-provider unavailable")

// StartNodeOIDC starts node-oidc-provider for one test on 127.0.0.1 and
// stops it in t.Cleanup, printing its log when the test failed. When it
// cannot run, the test fails with CI=true and is skipped otherwise.
func StartNodeOIDC(t testing.TB, opts NodeOIDCOptions) *NodeOIDC {
	t.Helper()
	testenv.Slow(t)
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	p, err := LaunchNodeOIDC(opts)
	if err != nil {
		testenv.RequireOrSkip(t, "%v", err)
		return nil
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("node-oidc-provider log (%s):\n%s", p.Issuer, p.Logs())
		}
		p.Close()
	})
	return p
}

// LaunchNodeOIDC starts node-oidc-provider without a testing.TB; the caller
// must Close it. opts.Dir must be set.
func LaunchNodeOIDC(opts NodeOIDCOptions) (*NodeOIDC, error) {
	opts = opts.withDefaults()
	if opts.Dir == "" {
		return nil, errors.New("node-oidc-provider: NodeOIDCOptions.Dir is required")
	}
	root, err := repoRoot()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNodeOIDCUnavailable, err)
	}
	dir := filepath.Join(root, "test", "idp", "oidcprovider")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "oidc-provider", "package.json")); err != nil {
		return nil, fmt.Errorf("%w: run npm ci --prefix test/idp/oidcprovider (%v)", ErrNodeOIDCUnavailable, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNodeOIDCUnavailable, err)
	}
	cfg, err := json.Marshal(map[string]any{
		"clients": opts.Clients, "accounts": opts.Accounts,
		"access_token_ttl":  int(opts.AccessTokenTTL.Round(time.Second).Seconds()),
		"refresh_token_ttl": int(opts.RefreshTokenTTL.Round(time.Second).Seconds()),
	})
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(opts.Dir, "node-oidc.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return nil, err
	}
	logs := &logBuffer{max: 1 << 20}
	pr, pw := io.Pipe()
	cmd := exec.Command(node, filepath.Join(dir, "provider.mjs"), cfgPath)
	cmd.Dir = dir
	cmd.Stdout = pw
	cmd.Stderr = logs
	setDeathSignal(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNodeOIDCUnavailable, err)
	}
	p := &NodeOIDC{ClientID: opts.Clients[0].ID, ClientSecret: opts.Clients[0].Secret,
		RedirectURIs: opts.Clients[0].RedirectURIs, cmd: cmd, stdin: stdin, exited: make(chan struct{}), logs: logs}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			if rest, ok := strings.CutPrefix(line, "READY "); ok {
				select {
				case ready <- rest:
				default:
				}
				continue
			}
			_, _ = logs.Write([]byte(line + "\n"))
		}
	}()
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(p.exited)
	}()
	select {
	case line := <-ready:
		var r struct{ Issuer, Control string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			p.Close()
			return nil, fmt.Errorf("%w: READY line %q: %v", ErrNodeOIDCUnavailable, line, err)
		}
		p.Issuer, p.control = r.Issuer, r.Control
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("%w: node exited before it was ready (%v):\n%s", ErrNodeOIDCUnavailable, cmd.ProcessState, logs.String())
	case <-time.After(opts.StartTimeout):
		p.Close()
		return nil, fmt.Errorf("%w: not ready after %v:\n%s", ErrNodeOIDCUnavailable, opts.StartTimeout, logs.String())
	}
}

// Counts returns what the provider counted so far.
func (p *NodeOIDC) Counts() (NodeOIDCCounts, error) {
	var c NodeOIDCCounts
	err := p.call(http.MethodGet, "/counts", &c)
	return c, err
}

// RotateKeys makes the provider sign with a new key from now on, keeping
// the old one in its JWKS, without restarting it.
func (p *NodeOIDC) RotateKeys() error { return p.call(http.MethodPost, "/rotate", nil) }

// Down stops the issuer port listening and drops its open connections: an
// IdP that is down (connection refused). Up brings it back on the same
// port, with everything it had issued still valid.
func (p *NodeOIDC) Down() error { return p.call(http.MethodPost, "/down", nil) }

// Up: see Down.
func (p *NodeOIDC) Up() error { return p.call(http.MethodPost, "/up", nil) }

func (p *NodeOIDC) call(method, path string, out any) error {
	req, err := http.NewRequest(method, p.control+path, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("node-oidc-provider %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("node-oidc-provider %s: %s", path, resp.Status)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Close stops the provider (closing its stdin ends it; a kill follows
// after 5 s). Safe to call more than once.
func (p *NodeOIDC) Close() {
	p.once.Do(func() {
		_ = p.stdin.Close()
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// Logs returns what the provider wrote (the last MiB).
func (p *NodeOIDC) Logs() string { return p.logs.String() }

// RedirectURI is the first client's first redirect URI.
func (p *NodeOIDC) RedirectURI() string { return p.RedirectURIs[0] }

func (o NodeOIDCOptions) withDefaults() NodeOIDCOptions {
	if len(o.Clients) == 0 {
		o.Clients = []NodeOIDCClient{{ID: DefaultClientID, Secret: DefaultClientSecret, RedirectURIs: []string{DefaultRedirectURI}}}
	}
	for i := range o.Clients {
		if len(o.Clients[i].GrantTypes) == 0 {
			o.Clients[i].GrantTypes = []string{"authorization_code", "refresh_token"}
		}
	}
	if o.Accounts == nil {
		o.Accounts = []NodeOIDCAccount{}
	}
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = time.Hour
	}
	if o.RefreshTokenTTL <= 0 {
		o.RefreshTokenTTL = 24 * time.Hour
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	return o
}
