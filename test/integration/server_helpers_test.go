// Package integration holds the end-to-end tests of ocrbox: they build the
// real binary, start it with real tesseract engine processes on a free
// loopback port and a temporary data directory, and drive it over HTTP and
// its command line. The helpers live in the non-test files (server.go,
// client.go, cer.go); the tests in *_test.go.
//
// Run with `go test ./test/integration/` from the repository root. The OCR
// corpus is expected at ../shared/testdata/ocr beside the checkout. When it,
// tesseract, pdftotext or pdfinfo is missing the tests skip, except under
// CI=true where they fail.
package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/test/testenv"
)

// readyTimeout bounds how long a server may take to answer /readyz with 200.
const readyTimeout = 60 * time.Second

// stopTimeout bounds a graceful stop (SIGTERM) before the server is killed.
// It is longer than the shutdown_timeout the tests configure.
const stopTimeout = 30 * time.Second

// serverConfig describes one server to start.
type serverConfig struct {
	// Bin is the ocrbox binary; DataDir its storage.data_dir.
	Bin     string
	DataDir string
	// Env adds OCRBOX_* settings (per-test limits) to the standard ones.
	Env []string
	// Port fixes the listen port (e.g. one registered at an IdP as the
	// redirect URI's); 0 picks a free one.
	Port int
	// TLS, when set, is the client side of a server started with built-in
	// HTTPS (server.tls_cert in Env): the URLs become https.
	TLS *tls.Config
}

// server is one running `ocrbox serve` process.
type server struct {
	cfg     serverConfig
	addr    string // 127.0.0.1:port
	baseURL string // http://127.0.0.1:port
	cmd     *exec.Cmd
	stderr  *testenv.SyncBuffer
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// baseEnv is the environment every ocrbox process of the tests gets: a
// minimal inherited part (so stray OCRBOX_* variables of the developer's
// shell cannot change the configuration) plus the test settings.
func baseEnv(dataDir string) []string {
	env := []string{
		"OCRBOX_STORAGE_DATA_DIR=" + dataDir,
		// One cache for the whole run: PDFium is compiled once (seconds of
		// CPU), not by each of the suite's dozens of servers.
		"OCRBOX_STORAGE_CACHE_DIR=" + filepath.Join(workDir, "cache"),
		"OCRBOX_OCR_WORKERS=2",
		"OCRBOX_LOG_FORMAT=json",
		"OMP_THREAD_LIMIT=1",
	}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TESSDATA_PREFIX", "LANG", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// serverEnv is baseEnv plus the settings every test server shares: a listen
// address, a login rate high enough for a test suite that signs in from one
// IP many times a minute, a short shutdown grace, then the per-test extras.
func serverEnv(cfg serverConfig, addr string) []string {
	env := baseEnv(cfg.DataDir)
	env = append(env,
		"OCRBOX_SERVER_LISTEN="+addr,
		"OCRBOX_AUTH_LOGIN_RATE_PER_MINUTE=1000",
		"OCRBOX_AUTH_USER_RECHECK_INTERVAL=0s",
		"OCRBOX_SERVER_SHUTDOWN_TIMEOUT=10s",
	)
	return append(env, cfg.Env...)
}

// startServer starts `ocrbox serve` and waits until /readyz answers 200. A
// port taken between freePort and the server's listen is retried.
func startServer(cfg serverConfig) (*server, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := startServerOnce(cfg)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

func startServerOnce(cfg serverConfig) (*server, error) {
	port := cfg.Port
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	scheme := "http://"
	if cfg.TLS != nil {
		scheme = "https://"
	}
	s := &server{cfg: cfg, addr: addr, baseURL: scheme + addr, stderr: &testenv.SyncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(cfg.Bin, "serve")
	// A directory without config.toml: the built-in defaults plus the
	// environment decide everything.
	s.cmd.Dir = cfg.DataDir
	s.cmd.Env = serverEnv(cfg, addr)
	s.cmd.Stdout = s.stderr
	s.cmd.Stderr = s.stderr
	// If the test binary dies (panic, -timeout), the server goes with it
	// rather than holding its port and data directory.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s serve: %w", cfg.Bin, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(readyTimeout); err != nil {
		s.kill()
		return nil, fmt.Errorf("%w\n--- server output ---\n%s", err, s.stderr.From(0))
	}
	return s, nil
}

// waitReady polls GET /readyz until it answers 200, the process exits or
// the timeout passes.
func (s *server) waitReady(timeout time.Duration) error {
	hc := s.httpClient(2 * time.Second)
	deadline := time.Now().Add(timeout)
	last := "no answer"
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("server exited before it was ready: %v", s.waitErr)
		default:
		}
		resp, err := hc.Get(s.baseURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("server not ready after %s (last: %s)", timeout, last)
}

// waitPDFium waits until the server has compiled PDFium in the background
// ("PDFium ready"): on the run's first server, with the suite's PDFium
// cache still empty, that is many seconds of CPU, and a PDF upload meanwhile
// waits for it — longer than a client's timeout on a loaded machine.
func (s *server) waitPDFium(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(s.stderr.From(0), `"msg":"PDFium ready"`) {
		if strings.Contains(s.stderr.From(0), "PDFium could not be prepared") {
			t.Fatalf("the server could not prepare PDFium:\n%s", tail(s.stderr.From(0), 4<<10))
		}
		if time.Now().After(deadline) {
			t.Fatalf("PDFium not ready after %s", timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// httpClient returns a client for s (trusting its certificate for HTTPS).
func (s *server) httpClient(timeout time.Duration) *http.Client {
	hc := &http.Client{Timeout: timeout}
	if s.cfg.TLS != nil {
		hc.Transport = &http.Transport{TLSClientConfig: s.cfg.TLS}
	}
	return hc
}

// pid is the server process id.
func (s *server) pid() int { return s.cmd.Process.Pid }

// exited reports whether the process has ended.
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits for a clean exit; after stopTimeout it kills
// the process. It returns an error unless the server exited with status 0
// on its own.
func (s *server) stop() error {
	if s.exited() {
		return fmt.Errorf("server had already exited: %v", s.waitErr)
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		if s.waitErr != nil {
			return fmt.Errorf("server exited uncleanly after SIGTERM: %v", s.waitErr)
		}
		return nil
	case <-time.After(stopTimeout):
		s.kill()
		return fmt.Errorf("server did not stop within %s of SIGTERM; killed", stopTimeout)
	}
}

// kill sends SIGKILL (no chance to clean up, like a crash) and waits for
// the process to be gone.
func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// startTestServer starts a server owned by one test: its output is printed
// if the test fails, and it is stopped with SIGTERM when the test ends.
func startTestServer(t testing.TB, cfg serverConfig) *server {
	t.Helper()
	s, err := startServer(cfg)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		if !s.exited() {
			if err := s.stop(); err != nil {
				t.Errorf("stop server: %v", err)
			}
		}
		if t.Failed() {
			t.Logf("--- server output (%s; successful requests left out) ---\n%s", s.addr, tail(quiet(s.stderr.From(0)), 200<<10))
		}
	})
	return s
}

// attachLog prints the part of a shared server's output written during the
// test if the test fails.
func attachLog(t testing.TB, s *server) {
	t.Helper()
	start := s.stderr.Len()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- shared server output during %s (%s; successful requests left out) ---\n%s",
				t.Name(), s.addr, tail(quiet(s.stderr.From(start)), 200<<10))
		}
	})
}

// quiet drops the access-log lines of requests answered below 400 from a
// JSON log, so a failure shows what matters.
func quiet(log string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(log, "\n") {
		var rec struct {
			Msg    string `json:"msg"`
			Status int    `json:"status"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "request" && rec.Status < 400 {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// tail keeps the last max bytes of s.
func tail(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return "…(truncated)…\n" + s[len(s)-max:]
}

// cliResult is the outcome of one ocrbox command line run.
type cliResult struct {
	Stdout, Stderr string
	ExitCode       int
}

// runCLI runs `ocrbox ARGS…` against dataDir with stdin, bounded by 60 s.
func runCLI(bin, dataDir, stdin string, args ...string) (cliResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dataDir
	cmd.Env = baseEnv(dataDir)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cliResult{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
		err = nil
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("ocrbox %s: timed out", strings.Join(args, " "))
	}
	return res, err
}

// addUser creates a local account with the CLI (which edits the users file
// directly and works while the server runs).
func addUser(t testing.TB, bin, dataDir, email, name, password string) {
	t.Helper()
	args := []string{"users", "add", email, "--password-stdin"}
	if name != "" {
		args = append(args, "--name", name)
	}
	res, err := runCLI(bin, dataDir, password+"\n", args...)
	if err != nil {
		t.Fatalf("ocrbox users add %s: %v", email, err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("ocrbox users add %s: exit %d\nstdout: %s\nstderr: %s", email, res.ExitCode, res.Stdout, res.Stderr)
	}
}

// taskDir is where the file store keeps a task's files.
func taskDir(dataDir, userID, taskID string) string {
	return filepath.Join(dataDir, "files", userID, taskID)
}

// fileSHA256 is the hex SHA-256 of a file, as [[plugins.engine]] pins it.
func fileSHA256(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// writeEngineConfig writes dataDir/config.toml (the server runs in its data
// directory, so it reads it) with head (other settings) and one external
// engine plugin, pinned to its current checksum.
func writeEngineConfig(t testing.TB, dataDir, head, name, path string, workers int) {
	t.Helper()
	conf := fmt.Sprintf("%s\n[[plugins.engine]]\nname = %q\npath = %q\nsha256 = %q\nworkers = %d\n",
		head, name, path, fileSHA256(t, path), workers)
	if err := os.WriteFile(filepath.Join(dataDir, "config.toml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
}
