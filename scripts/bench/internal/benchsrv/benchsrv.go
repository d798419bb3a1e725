// Package benchsrv starts a throw-away ocrbox server for the benchmark tools
// in scripts/bench: a fresh data directory, one local account, a free port on
// 127.0.0.1, and helpers to sign in and to read the process tree's memory and
// CPU from /proc. Linux only, like the server's own process supervision.
package benchsrv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Account is the user every benchmark signs in as.
const (
	Email    = "bench@example.org"
	Password = "bench-password-123"
)

// Options say how to start the server.
type Options struct {
	Bin     string            // the ocrbox binary
	Dir     string            // working directory; the data dir and log go inside
	Env     map[string]string // extra OCRBOX_* settings
	LogPath string            // default Dir/server.log
	Ready   time.Duration     // how long to wait for /readyz; default 90s
	// Users are more local accounts to create before the server starts
	// (besides the benchmark account), a few at a time.
	Users []Account
}

// Account is one local user: email and password.
type Account struct {
	Email, Password string
}

// Server is a running ocrbox.
type Server struct {
	Base    string // http://127.0.0.1:PORT
	DataDir string
	LogPath string
	// ReadyIn is how long `ocrbox serve` took from its start to the first
	// 200 from /readyz (polled every 20 ms).
	ReadyIn time.Duration
	cmd     *exec.Cmd
	logFile *os.File
	done    chan struct{}
	waitErr error
}

// Start creates the account, starts `ocrbox serve` and waits until it is ready.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Ready == 0 {
		o.Ready = 90 * time.Second
	}
	dataDir := filepath.Join(o.Dir, "data")
	if o.LogPath == "" {
		o.LogPath = filepath.Join(o.Dir, "server.log")
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	env := CleanEnv()
	env = append(env, "OCRBOX_STORAGE_DATA_DIR="+dataDir, "OCRBOX_SERVER_LISTEN="+fmt.Sprintf("127.0.0.1:%d", port),
		"OCRBOX_LOG_FORMAT=json", "OMP_THREAD_LIMIT=1")
	for k, v := range o.Env {
		env = append(env, k+"="+v)
	}

	if err := addUsers(ctx, o, env, append([]Account{{Email, Password}}, o.Users...)); err != nil {
		return nil, err
	}

	logFile, err := os.Create(o.LogPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(o.Bin, "serve")
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = o.Dir, env, logFile, logFile
	// Own process group, and killed with us if we die.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start ocrbox serve: %w", err)
	}
	s := &Server{Base: fmt.Sprintf("http://127.0.0.1:%d", port), DataDir: dataDir, LogPath: o.LogPath,
		cmd: cmd, logFile: logFile, done: make(chan struct{})}
	go func() { s.waitErr = cmd.Wait(); close(s.done) }()

	deadline := time.Now().Add(o.Ready)
	for {
		select {
		case <-s.done:
			return nil, fmt.Errorf("ocrbox serve exited during start-up (%v); log: %s\n%s", s.waitErr, o.LogPath, tail(o.LogPath, 20))
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		resp, err := http.Get(s.Base + "/api/v1/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.ReadyIn = time.Since(started)
				s.awaitWarm(ctx, o.Ready)
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("ocrbox serve not ready after %s; log: %s\n%s", o.Ready, o.LogPath, tail(o.LogPath, 20))
		}
	}
}

// awaitWarm waits (up to limit) until the server has prepared PDFium in
// the background: on a fresh data dir that is seconds of CPU, which would
// otherwise land on the first measurements. A cache shared between runs
// (Options.Env OCRBOX_STORAGE_CACHE_DIR) makes it quick.
func (s *Server) awaitWarm(ctx context.Context, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil && s.Alive() {
		data, _ := os.ReadFile(s.LogPath)
		if bytes.Contains(data, []byte(`"PDFium ready"`)) || bytes.Contains(data, []byte("PDFium could not be prepared")) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// PID is the server (host) process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Alive reports whether the server is still running.
func (s *Server) Alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM, waits up to 15 s, then kills the process group.
func (s *Server) Stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	if s.Alive() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	}
	// Engine processes die with the host (Pdeathsig); make sure of it.
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	s.logFile.Close()
}

// Login signs in as the benchmark account and returns the bearer token.
func (s *Server) Login(ctx context.Context, c *http.Client) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": Email, "password": Password})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.Base+"/api/v1/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("login: %s: %s", resp.Status, data)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.AccessToken == "" {
		return "", fmt.Errorf("login: no access_token in %s", data)
	}
	return out.AccessToken, nil
}

// addUsers runs `ocrbox users add` for each account, two at a time (each
// hashes a password, which takes a core and some memory).
func addUsers(ctx context.Context, o Options, env []string, accounts []Account) error {
	sem := make(chan struct{}, 2)
	errc := make(chan error, len(accounts))
	for _, a := range accounts {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			name, _, _ := strings.Cut(a.Email, "@")
			add := exec.CommandContext(ctx, o.Bin, "users", "add", a.Email, "--name", name, "--password-stdin")
			add.Dir, add.Env, add.Stdin = o.Dir, env, strings.NewReader(a.Password+"\n")
			if out, err := add.CombinedOutput(); err != nil {
				errc <- fmt.Errorf("ocrbox users add %s: %v: %s", a.Email, err, out)
				return
			}
			errc <- nil
		}()
	}
	for range accounts {
		if err := <-errc; err != nil {
			return err
		}
	}
	return nil
}

// FreePort asks the kernel for an unused loopback port.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// CleanEnv is our environment without OCRBOX_* settings, so a developer's
// shell cannot change what is measured.
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OCRBOX_") && !strings.HasPrefix(kv, "OMP_THREAD_LIMIT=") {
			env = append(env, kv)
		}
	}
	return env
}

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		// Successful requests (the benchmarks' polls) only hide the cause.
		if strings.Contains(l, `"msg":"request"`) && strings.Contains(l, `"status":20`) {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Tail returns the last n lines of the server log, successful requests left out.
func (s *Server) Tail(n int) string { return tail(s.LogPath, n) }

// ProcStatus reads VmRSS and VmHWM (bytes) from /proc/PID/status.
func ProcStatus(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &rss
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &hwm
		default:
			continue
		}
		fields := strings.Fields(line)
		if len(fields) >= 2 {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			*dst = kb << 10
		}
	}
	if rss == 0 && hwm == 0 {
		return 0, 0, errors.New("no VmRSS/VmHWM in /proc status")
	}
	return rss, hwm, sc.Err()
}

// clkTck is USER_HZ, 100 on every Linux the project runs on.
const clkTck = 100

// CPUTime is a process's user+system CPU from /proc/PID/stat, children that
// were waited for excluded.
func CPUTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name is in parentheses and may contain spaces.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, errors.New("bad /proc stat")
	}
	f := strings.Fields(string(data[i+1:]))
	// After ")": state(3) ppid(4) ... utime(14) stime(15) → indexes 11, 12.
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clkTck, nil
}

// Children lists the direct child process ids of pid.
func Children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(data)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// Cmdline is a process's command line, arguments joined by spaces.
func Cmdline(pid int) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(data), "\x00", " "))
}

// MachineCPU returns the busy and total jiffies of all CPUs from /proc/stat.
func MachineCPU() (busy, total int64) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i >= 8 { // guest and guest_nice are already in user and nice
			break
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

// LoadAvg is the 1-minute load average.
func LoadAvg() float64 {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return -1
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
