// Package authguard puts resilience around every call to an auth provider
// plugin: a timeout per attempt, retries with exponential backoff and jitter
// for transient failures only (never for a wrong password), and a circuit
// breaker per provider (sony/gobreaker) so that while a provider is down new
// logins fail fast instead of piling up behind timeouts.
//
// The breaker and the retries are for providers that can be down: an
// organisation's API, an IdP, a directory. A provider that answers from
// this machine (Options.Local; the built-in "local" provider always is) is
// slow only when the CPU is busy, say with an office signing in at once
// while OCR runs: its timeouts fail that one sign-in and are neither
// retried (that would add work to a busy CPU) nor counted by the breaker
// (that would refuse everyone for breaker_open). Its other transient
// failures — the plugin process down or not answering the call at all —
// still count.
package authguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sethvargo/go-retry"
	"github.com/sony/gobreaker/v2"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Source yields the provider's current client (a supervised plugin process).
type Source interface {
	Auth(ctx context.Context) (sdk.AuthProvider, error)
}

// Options tune the guard; zero values take the defaults in brackets.
type Options struct {
	Timeout      time.Duration // per attempt [10s]
	Retries      uint64        // extra attempts for transient failures (0 = none)
	Backoff      time.Duration // first retry delay [100ms], doubled, ±25 % jitter
	TripAfter    uint32        // consecutive transient failures that open the breaker [5]
	OpenFor      time.Duration // how long the breaker stays open before a probe [30s]
	SuccessProbe uint32        // half-open probes that must pass to close [1]
	// Local marks a provider that needs nothing but this machine (set for
	// the provider named LocalProvider whatever this says): a timeout means
	// a busy CPU, not an outage, and is neither retried nor counted by the
	// breaker.
	Local bool
}

// LocalProvider is the built-in provider that checks passwords against a
// users file in its own process (plugins/localauth); its guard is always
// Local.
const LocalProvider = "local"

// ErrOpen is returned (wrapped with sdk.ErrUnavailable) while the breaker is
// open: the provider is not even asked.
var ErrOpen = errors.New("circuit breaker open")

// Provider is one guarded auth provider.
type Provider struct {
	name string
	src  Source
	opts Options
	cb   *gobreaker.CircuitBreaker[any]
	log  *slog.Logger
}

// New guards src, known as name in logs.
func New(name string, src Source, opts Options, log *slog.Logger) *Provider {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 100 * time.Millisecond
	}
	if opts.TripAfter == 0 {
		opts.TripAfter = 5
	}
	if opts.OpenFor <= 0 {
		opts.OpenFor = 30 * time.Second
	}
	if opts.SuccessProbe == 0 {
		opts.SuccessProbe = 1
	}
	if name == LocalProvider {
		opts.Local = true
	}
	log = log.With("component", "authguard", "provider", name)
	p := &Provider{name: name, src: src, opts: opts, log: log}
	p.cb = gobreaker.NewCircuitBreaker[any](gobreaker.Settings{
		Name:        name,
		MaxRequests: opts.SuccessProbe,
		Timeout:     opts.OpenFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= opts.TripAfter },
		// Only transient failures count against the provider: a wrong
		// password is a perfectly healthy answer.
		IsSuccessful: func(err error) bool { return err == nil || !Transient(err) },
		// A local provider's timeout is neither (package comment).
		IsExcluded: func(err error) bool { return opts.Local && timedOut(err) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			log.Warn("auth provider circuit breaker", "from", from.String(), "to", to.String())
		},
	})
	return p
}

// Name is the provider's configured name.
func (p *Provider) Name() string { return p.name }

// State is the breaker's state: "closed", "half-open" or "open".
func (p *Provider) State() string { return p.cb.State().String() }

// Auth returns the guarded provider.
func (p *Provider) Auth(context.Context) (sdk.AuthProvider, error) { return guarded{p}, nil }

// Transient reports whether err is worth retrying: the provider or its
// plugin process could not answer (unavailable, timeout).
func Transient(err error) bool {
	return errors.Is(err, sdk.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// errNoAnswer marks an attempt that ran out of Options.Timeout.
var errNoAnswer = errors.New("no answer")

// timedOut reports whether err is a deadline running out: the attempt's
// timeout or the caller's deadline (auth.login_deadline), seen by the host
// or passed on by the plugin.
func timedOut(err error) bool {
	return errors.Is(err, errNoAnswer) || errors.Is(err, context.DeadlineExceeded)
}

// do runs one provider operation with timeout, retry and breaker.
func do[T any](ctx context.Context, p *Provider, op string, fn func(context.Context, sdk.AuthProvider) (T, error)) (T, error) {
	return call(ctx, p, op, p.opts.Retries, fn)
}

// once runs an operation that must not be repeated: exchanging an
// authorization code. An IdP may revoke every token issued for a code it
// sees twice, and the host cannot tell whether a failed call reached it;
// the plugin retries only what was never sent.
func once[T any](ctx context.Context, p *Provider, op string, fn func(context.Context, sdk.AuthProvider) (T, error)) (T, error) {
	return call(ctx, p, op, 0, fn)
}

func call[T any](ctx context.Context, p *Provider, op string, retries uint64, fn func(context.Context, sdk.AuthProvider) (T, error)) (T, error) {
	var out T
	attempt := 0
	b := retry.WithMaxRetries(retries, retry.WithJitterPercent(25, retry.NewExponential(p.opts.Backoff)))
	err := retry.Do(ctx, b, func(ctx context.Context) error {
		attempt++
		res, err := p.cb.Execute(func() (any, error) {
			actx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
			defer cancel()
			a, err := p.src.Auth(actx)
			if err != nil {
				return nil, fmt.Errorf("%w: plugin: %v", sdk.ErrUnavailable, err)
			}
			v, err := fn(actx, a)
			if err != nil && actx.Err() != nil && ctx.Err() == nil {
				err = fmt.Errorf("%w: %w within %s", sdk.ErrUnavailable, errNoAnswer, p.opts.Timeout)
			}
			return v, err
		})
		if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
			return fmt.Errorf("%w: %w", sdk.ErrUnavailable, ErrOpen) // fail fast, no retry
		}
		if err != nil {
			if p.opts.Local && timedOut(err) {
				return err // busy, not down: another attempt would only add to the queue
			}
			if Transient(err) && ctx.Err() == nil {
				p.log.Warn("auth provider call failed; retrying", "op", op, "attempt", attempt, "error", err)
				return retry.RetryableError(err)
			}
			return err
		}
		if res != nil {
			out = res.(T)
		}
		return nil
	})
	switch {
	case err != nil && p.opts.Local && timedOut(err):
		p.log.Warn("auth provider too slow (busy CPU?); not counted as an outage", "op", op, "error", err)
	case err != nil && Transient(err):
		p.log.Warn("auth provider unavailable", "op", op, "attempts", attempt, "breaker", p.State(), "error", err)
	}
	return out, err
}

// guarded is the sdk.AuthProvider view of a Provider.
type guarded struct{ p *Provider }

func (g guarded) Configure(ctx context.Context, s map[string]string) error {
	_, err := do(ctx, g.p, "configure", func(ctx context.Context, a sdk.AuthProvider) (struct{}, error) {
		return struct{}{}, a.Configure(ctx, s)
	})
	return err
}

func (g guarded) Info(ctx context.Context) (*sdk.ProviderInfo, error) {
	return do(ctx, g.p, "info", func(ctx context.Context, a sdk.AuthProvider) (*sdk.ProviderInfo, error) {
		return a.Info(ctx)
	})
}

func (g guarded) Authenticate(ctx context.Context, user, pass string) (*sdk.AuthenticateResponse, error) {
	return do(ctx, g.p, "authenticate", func(ctx context.Context, a sdk.AuthProvider) (*sdk.AuthenticateResponse, error) {
		return a.Authenticate(ctx, user, pass)
	})
}

func (g guarded) ValidateToken(ctx context.Context, tok string) (*sdk.AuthenticateResponse, error) {
	return do(ctx, g.p, "validate_token", func(ctx context.Context, a sdk.AuthProvider) (*sdk.AuthenticateResponse, error) {
		return a.ValidateToken(ctx, tok)
	})
}

func (g guarded) RefreshToken(ctx context.Context, tok string) (*sdk.AuthenticateResponse, error) {
	return do(ctx, g.p, "refresh_token", func(ctx context.Context, a sdk.AuthProvider) (*sdk.AuthenticateResponse, error) {
		return a.RefreshToken(ctx, tok)
	})
}

func (g guarded) GetUserInfo(ctx context.Context, tok string) (*sdk.UserInfo, error) {
	return do(ctx, g.p, "user_info", func(ctx context.Context, a sdk.AuthProvider) (*sdk.UserInfo, error) {
		return a.GetUserInfo(ctx, tok)
	})
}

func (g guarded) LookupUser(ctx context.Context, subject string) (*sdk.UserInfo, error) {
	return do(ctx, g.p, "lookup_user", func(ctx context.Context, a sdk.AuthProvider) (*sdk.UserInfo, error) {
		return a.LookupUser(ctx, subject)
	})
}

func (g guarded) BeginBrowserLogin(ctx context.Context, r *sdk.BeginBrowserLoginRequest) (string, error) {
	return do(ctx, g.p, "begin_browser_login", func(ctx context.Context, a sdk.AuthProvider) (string, error) {
		return a.BeginBrowserLogin(ctx, r)
	})
}

func (g guarded) CompleteBrowserLogin(ctx context.Context, r *sdk.CompleteBrowserLoginRequest) (*sdk.AuthenticateResponse, error) {
	return once(ctx, g.p, "complete_browser_login", func(ctx context.Context, a sdk.AuthProvider) (*sdk.AuthenticateResponse, error) {
		return a.CompleteBrowserLogin(ctx, r)
	})
}

func (g guarded) RevokeToken(ctx context.Context, tok, hint string) error {
	_, err := do(ctx, g.p, "revoke_token", func(ctx context.Context, a sdk.AuthProvider) (struct{}, error) {
		return struct{}{}, a.RevokeToken(ctx, tok, hint)
	})
	return err
}

var _ sdk.AuthProvider = guarded{}
