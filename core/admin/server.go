// Package admin is the running server's local administration channel: a
// small HTTP API on a unix socket, data_dir/admin.sock, for the ocrbox
// command line. While `ocrbox serve` runs it holds bbolt's file lock, so
// commands that need the database (users delete, link and list; backup)
// ask the server through this socket instead of opening the file.
//
// Only the server's own user (or root) can use it: the socket is 0600 in
// the 0700 data directory, and every connection's peer credentials
// (SO_PEERCRED) are checked too. It is never exposed on the network.
//
// Adding an endpoint: give Deps a field for the service it calls, add one
// line to the table in routes.go and a handler beside it, and a Client
// method. Handlers decode JSON with readJSON and answer with writeJSON or
// writeError, the same {"error":{"code","message"}} shape as the REST API.
package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// SocketName is the socket's file name inside the data directory.
const SocketName = "admin.sock"

// maxSocketPath is the longest path a unix socket can be bound to on Linux
// (sun_path is 108 bytes with the terminating NUL).
const maxSocketPath = 107

// ErrPathTooLong is returned (wrapped) by Listen when the socket path does
// not fit in a unix socket address.
var ErrPathTooLong = errors.New("admin socket path too long for a unix socket")

// Deps are the services the admin endpoints call.
type Deps struct {
	// Accounts deletes users' data (POST /users/delete).
	Accounts Accounts
	// Backup streams a hot backup (POST /backup); nil: not offered.
	Backup func(ctx context.Context, w io.Writer) error
	// Link binds a provider identity to the account with an email
	// (POST /users/link); nil: not offered.
	Link func(ctx context.Context, email string, id domain.Identity) (domain.User, error)
	// Users lists every account with its identities (GET /users); nil:
	// not offered.
	Users func(ctx context.Context) ([]UserEntry, error)
}

// Server serves the admin API on a unix socket.
type Server struct {
	deps Deps
	log  *slog.Logger
	srv  *http.Server
	ln   net.Listener
	path string
}

// NewServer builds the server with every route mounted; Listen and Serve
// start it.
func NewServer(deps Deps, log *slog.Logger) *Server {
	s := &Server{deps: deps, log: log.With("component", "admin")}
	mux := http.NewServeMux()
	s.routes(mux)
	s.srv = &http.Server{Handler: s.logged(mux), ReadHeaderTimeout: 10 * time.Second}
	return s
}

// Listen binds the socket at path, 0600. A file left there by a server
// that did not stop cleanly is removed first: the caller holds the
// database lock, so no other server can be listening. Anything at path
// that is not a socket is left alone (error).
func (s *Server) Listen(path string) error {
	if len(path) > maxSocketPath {
		return fmt.Errorf("listen on %s: %d bytes, at most %d: %w", path, len(path), maxSocketPath, ErrPathTooLong)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return fmt.Errorf("listen on %s: a file that is not a socket is in the way (mode %s)", path, fi.Mode())
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("remove stale admin socket %s: %w", path, err)
		}
		s.log.Info("removed a stale admin socket", "path", path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listen on admin socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("restrict admin socket %s: %w", path, err)
	}
	s.ln = &peerListener{Listener: ln, log: s.log}
	s.path = path
	return nil
}

// Serve answers requests until Shutdown; it returns nil after Shutdown.
func (s *Server) Serve() error {
	if s.ln == nil {
		return errors.New("admin server: Listen first")
	}
	err := s.srv.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting, waits for running requests until ctx ends and
// removes the socket file. It may be called more than once, and also when
// Serve never ran.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if s.ln != nil {
		_ = s.ln.Close() // already closed when Serve ran
	}
	if s.path != "" {
		if rerr := os.Remove(s.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
			err = rerr
		}
	}
	return err
}

// logged logs every admin request once, with its outcome.
func (s *Server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.log.Info("admin request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"ms", time.Since(start).Milliseconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// peerListener accepts only connections from this process's user or root.
type peerListener struct {
	net.Listener
	log *slog.Logger
}

func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		uid, err := peerUID(c)
		if err == nil && (uid == os.Getuid() || uid == 0) {
			return c, nil
		}
		l.log.Warn("admin socket: refused a connection from another user", "peer_uid", uid, "error", err)
		c.Close()
	}
}

// peerUID returns the uid of the process at the other end of a unix
// socket connection.
func peerUID(c net.Conn) (int, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return -1, errors.New("not a unix socket connection")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return -1, err
	}
	if credErr != nil {
		return -1, credErr
	}
	return int(cred.Uid), nil
}
