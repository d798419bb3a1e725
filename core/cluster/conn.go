package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// clientOptions are the NATS connection options for opts: credentials,
// TLS, and reconnecting forever with a capped backoff. Each outage is
// logged once when it starts and once when it ends. The token and
// password are never logged.
func clientOptions(opts Options, name string, log *slog.Logger) ([]nats.Option, error) {
	o := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(func(attempts int) time.Duration {
			// 0.5 s, 1 s, 2 s … 10 s: quick after a blip, quiet during an outage.
			return min(500*time.Millisecond<<min(attempts, 5), 10*time.Second)
		}),
		// Publishing while disconnected fails at once instead of queueing
		// behind a dead link: callers retry, and a job's fate never rests on
		// a buffer that a process exit would lose.
		nats.ReconnectBufSize(-1),
		nats.PingInterval(10 * time.Second),
		nats.MaxPingsOutstanding(3),
	}
	var outage sync.Mutex
	down := false
	o = append(o,
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err == nil { // closed by us
				return
			}
			outage.Lock()
			defer outage.Unlock()
			if !down {
				down = true
				log.Warn("cluster connection lost; reconnecting", "error", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			outage.Lock()
			defer outage.Unlock()
			down = false
			log.Info("cluster connection restored", "server", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Warn("cluster connection error", "subject", subj, "error", err)
		}),
	)
	switch {
	case opts.User != "":
		o = append(o, nats.UserInfo(opts.User, opts.Password))
	case opts.Token != "":
		o = append(o, nats.Token(opts.Token))
	}
	if opts.NKeySeedFile != "" {
		nk, err := nats.NkeyOptionFromSeed(opts.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("cluster nkey seed: %w", err)
		}
		o = append(o, nk)
	}
	if opts.TLSCert != "" {
		o = append(o, nats.ClientCert(opts.TLSCert, opts.TLSKey))
	}
	if opts.TLSCA != "" {
		o = append(o, nats.RootCAs(opts.TLSCA))
	}
	return o, nil
}

// connect dials url (or the in-process server, with extra options), and
// with retry, until ctx ends, retries while no server answers — a worker may start
// before serve — logging that once. Refused credentials or TLS fail at
// once: no retry fixes them. Once connected, the connection reconnects by
// itself forever.
func connect(ctx context.Context, url string, opts Options, name string, log *slog.Logger, retry bool, extra ...nats.Option) (*nats.Conn, error) {
	o, err := clientOptions(opts, name, log)
	if err != nil {
		return nil, err
	}
	o = append(o, extra...)
	delay := 250 * time.Millisecond
	for logged := false; ; {
		nc, err := nats.Connect(url, o...)
		if err == nil {
			if logged {
				log.Info("connected to the cluster", "server", nc.ConnectedUrlRedacted())
			}
			return nc, nil
		}
		if refused(err) || !retry {
			return nil, fmt.Errorf("connect to the cluster: %w", err)
		}
		if !logged {
			log.Warn("cluster not reachable yet; retrying", "error", err)
			logged = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connect to the cluster: %w", context.Cause(ctx))
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// refused reports whether the server answered but refused this client
// (credentials, TLS), as opposed to not answering at all.
func refused(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) ||
		errors.Is(err, nats.ErrAuthRevoked) || errors.Is(err, nats.ErrSecureConnRequired) ||
		errors.Is(err, nats.ErrSecureConnWanted) || errors.As(err, &verify) ||
		errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		// The server refused our certificate, or its absence: crypto/tls
		// reports the peer's alert in an unexported type.
		strings.Contains(err.Error(), "remote error: tls:")
}
