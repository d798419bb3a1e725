// Package ldapserver starts a real OpenLDAP slapd for tests: its own
// slapd.conf in a temporary directory, an mdb database seeded with slapadd,
// listeners on free loopback ports and, on request, TLS (ldaps:// and
// StartTLS) with a throwaway CA made in Go. It is a plain package so that
// any test package can import it.
//
// The directory tree is fixed:
//
//	dc=example,dc=org                       (BaseDN; rootdn AdminDN)
//	├── ou=people                           (PeopleDN; one uid=… entry per User)
//	└── ou=services
//	    └── cn=ocrbox                       (ServiceDN: may search people)
//
// Access rules: anyone may bind (auth access to userPassword); the service
// account and each user may read people; anonymous users read nothing.
//
// Typical use, one server for a whole package:
//
//	func TestMain(m *testing.M) {
//		srv, err := ldapserver.New(ldapserver.Options{Users: users, TLS: true})
//		... // err: ldapserver.Installed() tells whether slapd is missing
//		code := m.Run()
//		srv.Close()
//		os.Exit(code)
//	}
//
// or one per test: srv := ldapserver.Start(t, opts), stopped by t.Cleanup.
//
// slapd and slapadd come from Debian's slapd package (`apt-get install
// slapd ldap-utils`). When they are missing, Start and Require skip the test,
// except under CI=true where they fail it.
package ldapserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/ocrbox/ocrbox/test/testenv"
)

// The fixed names of the directory tree.
const (
	BaseDN     = "dc=example,dc=org"
	PeopleDN   = "ou=people," + BaseDN
	ServicesDN = "ou=services," + BaseDN
	AdminDN    = "cn=admin," + BaseDN
	ServiceDN  = "cn=ocrbox," + ServicesDN
)

// Binaries from Debian's slapd package; /usr/sbin is not on every PATH.
const (
	slapdPath   = "/usr/sbin/slapd"
	slapaddPath = "/usr/sbin/slapadd"
	// InstallHint names the Debian packages that provide the binaries.
	InstallHint = "apt-get install -y slapd ldap-utils"
)

// Default passwords of the admin and service accounts.
const (
	DefaultAdminPassword   = "admin-secret"
	DefaultServicePassword = "service-secret"
)

const (
	// readyTimeout bounds how long slapd may take to accept a bind.
	readyTimeout = 20 * time.Second
	// stopTimeout bounds a graceful stop (SIGTERM) before slapd is killed.
	stopTimeout = 10 * time.Second
	// startAttempts covers a free port being taken between our probe and
	// slapd's bind.
	startAttempts = 3
)

// Options describe the directory to start.
type Options struct {
	// Users are the people seeded into ou=people.
	Users []User
	// TLS adds an ldaps:// listener and enables StartTLS on ldap://, with a
	// server certificate for 127.0.0.1 and localhost signed by a fresh CA.
	TLS bool
	// AdminPassword and ServicePassword default to DefaultAdminPassword and
	// DefaultServicePassword.
	AdminPassword   string
	ServicePassword string
}

// Server is one running slapd. Its exported fields are fixed after start
// and safe to read from any goroutine; the methods are safe for concurrent
// use.
type Server struct {
	// URL is the plain listener, "ldap://127.0.0.1:PORT" (StartTLS works on
	// it when Options.TLS is set).
	URL string
	// LDAPSURL is the TLS listener, "ldaps://127.0.0.1:PORT"; empty without
	// Options.TLS.
	LDAPSURL string
	// CAFile is the PEM file of the CA that signed the server certificate,
	// and CAPEM its contents; empty without Options.TLS.
	CAFile string
	CAPEM  []byte
	// ServiceDN/ServicePassword are the account allowed to search people;
	// AdminDN/AdminPassword the rootdn.
	ServiceDN       string
	ServicePassword string
	AdminDN         string
	AdminPassword   string
	// Dir holds slapd.conf, the database, the seed LDIF and TLS files.
	Dir string

	confPath string
	urls     string // slapd -h argument

	mu      sync.Mutex
	proc    *process // nil while stopped
	closed  bool
	lastLog string // output of the last process, for failure messages
}

// errClosed answers Restart after Close.
var errClosed = errors.New("ldapserver: server closed")

// process is one slapd run.
type process struct {
	cmd  *exec.Cmd
	log  *testenv.SyncBuffer
	done chan struct{} // closed when cmd.Wait returned
	err  error         // cmd.Wait's result, set before done is closed
}

// Installed reports whether slapd and slapadd are present.
func Installed() error {
	for _, p := range []string{slapdPath, slapaddPath} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("ldapserver: %s not found (%s): %w", filepath.Base(p), InstallHint, err)
		}
	}
	return nil
}

// Require skips t when slapd is not installed, or fails it under CI=true,
// where every dependency must be present.
func Require(t testing.TB) {
	t.Helper()
	if err := Installed(); err != nil {
		testenv.RequireOrSkip(t, "%v", err)
	}
}

// Start starts a server for the test t (see Require for a missing slapd)
// and stops it and removes its files when t ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	Require(t)
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("stop slapd: %v", err)
		}
	})
	return s
}

// New creates, seeds and starts a server. The caller must Close it. Use it
// from TestMain; tests use Start.
func New(opts Options) (*Server, error) {
	if err := Installed(); err != nil {
		return nil, err
	}
	if opts.AdminPassword == "" {
		opts.AdminPassword = DefaultAdminPassword
	}
	if opts.ServicePassword == "" {
		opts.ServicePassword = DefaultServicePassword
	}
	dir, err := os.MkdirTemp("", "ldapserver-")
	if err != nil {
		return nil, fmt.Errorf("ldapserver: %w", err)
	}
	s := &Server{
		ServiceDN: ServiceDN, ServicePassword: opts.ServicePassword,
		AdminDN: AdminDN, AdminPassword: opts.AdminPassword,
		Dir: dir, confPath: filepath.Join(dir, "slapd.conf"),
	}
	if err := s.setUp(opts); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// setUp writes the files, seeds the database and starts slapd on free
// ports, retrying when a port was taken meanwhile.
func (s *Server) setUp(opts Options) error {
	if opts.TLS {
		if err := s.writeTLSFiles(); err != nil {
			return err
		}
	}
	if err := s.writeConfig(opts); err != nil {
		return err
	}
	if err := s.seed(opts); err != nil {
		return err
	}
	var err error
	for range startAttempts {
		if err = s.pickPorts(opts.TLS); err != nil {
			return err
		}
		s.mu.Lock()
		err = s.startLocked()
		s.mu.Unlock()
		if err == nil || !strings.Contains(s.lastLog, "already in use") {
			return err
		}
	}
	return err
}

// pickPorts chooses free loopback ports for the listeners.
func (s *Server) pickPorts(withTLS bool) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.URL = "ldap://127.0.0.1:" + strconv.Itoa(port)
	s.urls = s.URL + "/"
	if withTLS {
		port, err := freePort()
		if err != nil {
			return err
		}
		s.LDAPSURL = "ldaps://127.0.0.1:" + strconv.Itoa(port)
		s.urls += " " + s.LDAPSURL + "/"
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("ldapserver: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// seed loads the initial entries with slapadd (offline, before slapd runs).
func (s *Server) seed(opts Options) error {
	ldif, err := seedLDIF(opts)
	if err != nil {
		return err
	}
	path := filepath.Join(s.Dir, "seed.ldif")
	if err := os.WriteFile(path, ldif, 0o600); err != nil {
		return fmt.Errorf("ldapserver: write seed: %w", err)
	}
	out, err := exec.Command(slapaddPath, "-q", "-f", s.confPath, "-l", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ldapserver: slapadd: %w\n%s", err, out)
	}
	return nil
}

// startLocked starts slapd and waits until the admin can bind.
func (s *Server) startLocked() error {
	if s.closed {
		return errClosed
	}
	if s.proc != nil {
		return nil
	}
	p := &process{log: &testenv.SyncBuffer{}, done: make(chan struct{})}
	// -d 0 keeps slapd in the foreground without debug output.
	p.cmd = exec.Command(slapdPath, "-d", "0", "-h", s.urls, "-f", s.confPath)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = sysProcAttr()
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("ldapserver: start slapd: %w", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	if err := s.waitReady(p); err != nil {
		stopProcess(p)
		s.lastLog = p.log.String()
		return fmt.Errorf("%w\nslapd output:\n%s", err, s.lastLog)
	}
	s.proc = p
	return nil
}

// waitReady polls until a bind as the admin succeeds.
func (s *Server) waitReady(p *process) error {
	deadline := time.Now().Add(readyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("ldapserver: slapd exited during start-up: %v", p.err)
		default:
		}
		if lastErr = s.ping(); lastErr == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("ldapserver: slapd not ready after %s: %w", readyTimeout, lastErr)
}

// ping binds as the admin on the plain listener.
func (s *Server) ping() error {
	l, err := s.adminConn()
	if err != nil {
		return err
	}
	return l.Close()
}

// adminConn returns a connection bound as the rootdn.
func (s *Server) adminConn() (*ldap.Conn, error) {
	l, err := ldap.DialURL(s.URL, ldap.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}))
	if err != nil {
		return nil, err
	}
	l.SetTimeout(5 * time.Second)
	if err := l.Bind(s.AdminDN, s.AdminPassword); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Stop stops slapd (the data stays) so that tests can see an outage.
// Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked()
}

func (s *Server) stopLocked() error {
	if s.proc == nil {
		return nil
	}
	p := s.proc
	s.proc = nil
	err := stopProcess(p)
	s.lastLog = p.log.String()
	return err
}

// Restart starts a stopped server again on the same ports with the same
// data; on a running server it does nothing.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked()
}

// Close stops slapd and removes its directory. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	err := s.stopLocked()
	s.closed = true
	return errors.Join(err, os.RemoveAll(s.Dir))
}

// stopProcess sends SIGTERM, then SIGKILL after stopTimeout, and waits.
func stopProcess(p *process) error {
	select {
	case <-p.done:
		return nil // already gone (crashed or failed to start)
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("ldapserver: slapd ignored SIGTERM for %s; killed", stopTimeout)
	}
}
