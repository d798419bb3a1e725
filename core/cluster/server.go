package cluster

import (
	"cmp"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Limits of the embedded JetStream: jobs and results are short-lived, so
// the store only ever holds the pages in flight.
const (
	embeddedMaxMemory = 256 << 20 // jobs and results in flight (memory streams)
	embeddedMaxStore  = 1 << 30
	// embeddedMaxPayload lets most page images and results travel inside
	// their message (NATS allows up to 64 MiB and advises at most 8):
	// through the object store a 2 MiB page costs ~130 ms more.
	embeddedMaxPayload = 8 << 20
)

// startServer starts the embedded NATS server with JetStream on
// opts.Listen, its store under opts.StoreDir, requiring the token (or
// user/password) and serving TLS when configured.
func startServer(opts Options, log *slog.Logger) (*server.Server, error) {
	host, portStr, err := net.SplitHostPort(opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("cluster listen %q: %w", opts.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("cluster listen %q: bad port", opts.Listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	so := &server.Options{
		ServerName:         "ocrbox-" + token(opts.NodeName), // no spaces allowed
		Host:               host,
		Port:               port,
		JetStream:          true,
		StoreDir:           opts.StoreDir,
		JetStreamMaxMemory: embeddedMaxMemory,
		JetStreamMaxStore:  embeddedMaxStore,
		NoSigs:             true, // serve owns the signals
		MaxPayload:         cmp.Or(opts.timing.MaxPayload, embeddedMaxPayload),
		Username:           opts.User,
		Password:           opts.Password,
	}
	if opts.User == "" {
		so.Authorization = opts.Token
	}
	if opts.TLSCert != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{
			CertFile: opts.TLSCert, KeyFile: opts.TLSKey, CaFile: opts.TLSCA,
			Verify: opts.TLSCA != "", // a CA: nodes must present a certificate it signed
		})
		if err != nil {
			return nil, fmt.Errorf("cluster tls: %w", err)
		}
		so.TLS, so.TLSConfig, so.TLSVerify = true, tc, opts.TLSCA != ""
		so.TLSTimeout = 5
	}
	s, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("start nats server: %w", err)
	}
	fatal := make(chan string, 1)
	s.SetLoggerV2(natsLog{log.With("component", "nats"), fatal}, false, false, false)
	go s.Start()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if s.ReadyForConnections(50 * time.Millisecond) {
			return s, nil
		}
		select {
		case msg := <-fatal: // e.g. the address is in use
			s.Shutdown()
			return nil, fmt.Errorf("start nats server on %s: %s", opts.Listen, msg)
		default:
		}
		if time.Now().After(deadline) {
			s.Shutdown()
			return nil, fmt.Errorf("start nats server on %s: not ready after 10 s", opts.Listen)
		}
	}
}

// natsLog routes the NATS server's log into slog: its notices (a banner of
// a dozen lines at start) at debug, warnings and errors as such.
// A fatal error (the server cannot start) also goes to fatal.
type natsLog struct {
	log   *slog.Logger
	fatal chan<- string
}

func (l natsLog) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l natsLog) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l natsLog) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error(msg)
	select {
	case l.fatal <- msg:
	default:
	}
}
func (l natsLog) Errorf(format string, v ...any) { l.log.Error(fmt.Sprintf(format, v...)) }
func (l natsLog) Debugf(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l natsLog) Tracef(format string, v ...any) {}
