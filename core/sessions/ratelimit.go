package sessions

import (
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ocrbox/ocrbox/core/domain"
)

// RateLimitError says how long a client must wait before the next login.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("too many sign-in attempts; try again in %d seconds", int(e.RetryAfter.Seconds()+0.999))
}

// Unwrap maps the error to domain.ErrRateLimited (429).
func (e *RateLimitError) Unwrap() error { return domain.ErrRateLimited }

// limiter keeps one token bucket per account and one per IP.
type limiter struct {
	perMinute int
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	swept     time.Time
}

func newLimiter(perMinute int) *limiter {
	return &limiter{perMinute: perMinute, buckets: map[string]*rate.Limiter{}}
}

// allow returns 0 when a login may proceed, else how long to wait.
func (l *limiter) allow(account, ip string) time.Duration {
	if l.perMinute <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.swept) > 10*time.Minute { // bound memory: drop full buckets
		for k, b := range l.buckets {
			if b.TokensAt(now) >= float64(l.perMinute) {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	var wait time.Duration
	var reserved []*rate.Reservation
	for _, key := range []string{"a:" + account, "ip:" + ip} {
		b := l.buckets[key]
		if b == nil {
			b = rate.NewLimiter(rate.Every(time.Minute/time.Duration(l.perMinute)), l.perMinute)
			l.buckets[key] = b
		}
		r := b.ReserveN(now, 1)
		reserved = append(reserved, r)
		if d := r.DelayFrom(now); d > wait {
			wait = d
		}
	}
	if wait > 0 {
		for _, r := range reserved {
			r.CancelAt(now)
		}
	}
	return wait
}
