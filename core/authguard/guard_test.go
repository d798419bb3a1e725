package authguard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// backend is an in-process provider whose health the test controls; the
// guard under test is the real one.
type backend struct {
	sdk.UnimplementedAuth
	mu    sync.Mutex
	mode  string // "up", "down", "flaky", "slow"
	calls atomic.Int64
	n     int
}

func (b *backend) set(mode string) { b.mu.Lock(); b.mode = mode; b.mu.Unlock() }

func (b *backend) Configure(context.Context, map[string]string) error { return nil }
func (b *backend) Info(context.Context) (*sdk.ProviderInfo, error) {
	return &sdk.ProviderInfo{Name: "fake"}, nil
}
func (b *backend) Authenticate(ctx context.Context, user, pass string) (*sdk.AuthenticateResponse, error) {
	b.calls.Add(1)
	b.mu.Lock()
	mode := b.mode
	b.n++
	n := b.n
	b.mu.Unlock()
	switch {
	case mode == "down", mode == "flaky" && n%2 == 1:
		return nil, fmt.Errorf("auth API answered 503: %w", sdk.ErrUnavailable)
	case mode == "slow":
		<-ctx.Done()
		return nil, ctx.Err()
	case pass != "right":
		return nil, sdk.ErrInvalidCredentials
	}
	return &sdk.AuthenticateResponse{User: &sdk.UserInfo{Email: user}}, nil
}

type src struct{ b *backend }

func (s src) Auth(context.Context) (sdk.AuthProvider, error) { return s.b, nil }

func newGuard(b *backend, opts Options) sdk.AuthProvider {
	g := New("fake", src{b}, opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a, _ := g.Auth(context.Background())
	return a
}

func TestRetriesTransientFailures(t *testing.T) {
	b := &backend{mode: "flaky"}
	a := newGuard(b, Options{Backoff: time.Millisecond, Retries: 2})
	for i := range 20 {
		if _, err := a.Authenticate(context.Background(), "u", "right"); err != nil {
			t.Fatalf("login %d with a provider failing half the time: %v", i, err)
		}
	}
}

func TestWrongPasswordIsNotRetriedNorTrips(t *testing.T) {
	b := &backend{mode: "up"}
	g := New("fake", src{b}, Options{Backoff: time.Millisecond, TripAfter: 2}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a, _ := g.Auth(context.Background())
	for range 10 {
		if _, err := a.Authenticate(context.Background(), "u", "wrong"); !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("got %v", err)
		}
	}
	if b.calls.Load() != 10 {
		t.Fatalf("wrong passwords were retried: %d calls for 10 logins", b.calls.Load())
	}
	if g.State() != "closed" {
		t.Fatalf("wrong passwords tripped the breaker: %s", g.State())
	}
}

func TestBreakerOpensFailsFastAndRecovers(t *testing.T) {
	b := &backend{mode: "down"}
	g := New("fake", src{b}, Options{Backoff: time.Millisecond, Retries: 1, TripAfter: 4, OpenFor: 300 * time.Millisecond},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	a, _ := g.Auth(context.Background())
	for range 2 {
		if _, err := a.Authenticate(context.Background(), "u", "right"); !errors.Is(err, sdk.ErrUnavailable) {
			t.Fatalf("down: %v", err)
		}
	}
	if g.State() != "open" {
		t.Fatalf("breaker %s after 4 consecutive failures", g.State())
	}
	before := b.calls.Load()
	start := time.Now()
	_, err := a.Authenticate(context.Background(), "u", "right")
	if took := time.Since(start); !errors.Is(err, ErrOpen) || !errors.Is(err, sdk.ErrUnavailable) || took > 100*time.Millisecond {
		t.Fatalf("open breaker: err=%v took=%s", err, took)
	}
	if b.calls.Load() != before {
		t.Fatal("an open breaker must not call the provider")
	}
	b.set("up")
	time.Sleep(350 * time.Millisecond)
	if _, err := a.Authenticate(context.Background(), "u", "right"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if g.State() != "closed" {
		t.Fatalf("breaker %s after a successful probe", g.State())
	}
}

func TestTimeoutIsTransient(t *testing.T) {
	b := &backend{mode: "slow"}
	a := newGuard(b, Options{Timeout: 50 * time.Millisecond, Retries: 1, Backoff: time.Millisecond})
	start := time.Now()
	_, err := a.Authenticate(context.Background(), "u", "right")
	if !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("got %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("took %s", took)
	}
	if b.calls.Load() != 2 {
		t.Fatalf("calls = %d, want 2 (one retry)", b.calls.Load())
	}
}

// A provider on this machine that is slow (a busy CPU) fails the sign-ins
// that time out, once each, and the breaker stays closed for the others; a
// remote provider's timeouts still open it. Both the attempt's timeout and
// the caller's deadline (auth.login_deadline) are timeouts.
func TestLocalTimeoutsDoNotTripBreaker(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		local    bool
		deadline time.Duration // the caller's; 0: none, the attempt's timeout ends it
		wantOpen bool
		wantCall int64 // per sign-in
	}{
		{"local provider, attempt timeout", LocalProvider, false, 0, false, 1},
		{"local provider, caller deadline", LocalProvider, false, 20 * time.Millisecond, false, 1},
		{"marked local", "mine", true, 0, false, 1},
		{"remote provider, attempt timeout", "http", false, 0, true, 2},
		{"remote provider, caller deadline", "ldap", false, 20 * time.Millisecond, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := &backend{mode: "slow"}
			g := New(tt.provider, src{b}, Options{Timeout: 20 * time.Millisecond, Retries: 1, Backoff: time.Millisecond,
				TripAfter: 3, OpenFor: time.Minute, Local: tt.local}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			a, _ := g.Auth(context.Background())
			const signIns = 10
			refused := 0
			for range signIns {
				ctx := context.Background()
				if tt.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.deadline)
					defer cancel()
				}
				_, err := a.Authenticate(ctx, "u", "right")
				if errors.Is(err, ErrOpen) {
					refused++
				} else if err == nil {
					t.Fatal("a slow provider signed someone in")
				}
			}
			if open := g.State() == "open"; open != tt.wantOpen {
				t.Fatalf("breaker %s after %d timeouts (%d refused unasked)", g.State(), signIns, refused)
			}
			if tt.wantOpen {
				return
			}
			if refused != 0 || b.calls.Load() != signIns*tt.wantCall {
				t.Fatalf("%d refused unasked, %d calls for %d sign-ins (want %d each)", refused, b.calls.Load(), signIns, tt.wantCall)
			}
			b.set("up")
			if _, err := a.Authenticate(context.Background(), "u", "right"); err != nil {
				t.Fatalf("once the CPU is free: %v", err)
			}
		})
	}
}

// The local provider's plugin process down is still an outage: its
// failures open the breaker.
func TestLocalProviderDownTripsBreaker(t *testing.T) {
	b := &backend{mode: "down"}
	g := New(LocalProvider, src{b}, Options{Backoff: time.Millisecond, TripAfter: 3, OpenFor: time.Minute},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	a, _ := g.Auth(context.Background())
	for range 3 {
		if _, err := a.Authenticate(context.Background(), "u", "right"); !errors.Is(err, sdk.ErrUnavailable) {
			t.Fatalf("down: %v", err)
		}
	}
	if g.State() != "open" {
		t.Fatalf("breaker %s after 3 failures of a dead local plugin", g.State())
	}
}
