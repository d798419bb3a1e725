package sessions

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// directory accepts "right-<username>" as everyone's password, at once (no
// password hashing), so sign-in tests measure the limiter alone.
type directory struct{ sdk.AuthProvider }

func (directory) Authenticate(_ context.Context, username, password string) (*sdk.AuthenticateResponse, error) {
	if password != "right-"+username {
		return nil, sdk.ErrInvalidCredentials
	}
	return &sdk.AuthenticateResponse{User: &sdk.UserInfo{Subject: username, Email: username, Name: username}}, nil
}

// fakeClock is the limiter's time, moved by the test.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock           { return &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }
func limitedService(t *testing.T, perMinute int) (*Service, *fakeClock) {
	t.Helper()
	s, _, _ := setup(t, provider{name: "local", impl: directory{}})
	clock := newFakeClock()
	s.limiter = newLimiter(perMinute)
	s.limiter.now = clock.now
	return s, clock
}

// signIn returns "ok", "wrong" or "limited" and the rate_limited error if
// any.
func signIn(t *testing.T, s *Service, user string, right bool, ip string) (string, *domain.Error) {
	t.Helper()
	pw := "wrong"
	if right {
		pw = "right-" + user
	}
	_, err := s.Login(context.Background(), user, pw, ip)
	var rl *domain.Error
	switch {
	case err == nil:
		return "ok", nil
	case errors.As(err, &rl) && rl.Code == domain.CodeRateLimited && errors.Is(err, domain.ErrRateLimited):
		return "limited", rl
	case errors.Is(err, domain.ErrInvalidCredentials):
		return "wrong", nil
	}
	t.Fatalf("sign-in %s from %s: %v", user, ip, err)
	return "", nil
}

// TestSignInLimits plays sign-in sequences against the limiter at its
// default budget (10 failures per minute for one account from one network).
func TestSignInLimits(t *testing.T) {
	type step struct {
		n     int
		user  string // "%d" is replaced by the repetition
		right bool
		ip    string
		every time.Duration // clock moves this much after each attempt
		want  string        // ok, wrong, limited
	}
	const office, home, attacker = "203.0.113.7", "198.51.100.20", "192.0.2.66"
	tests := []struct {
		name  string
		steps []step
	}{
		{"50 colleagues sign in from one address", []step{
			{n: 50, user: "colleague%d@example.org", right: true, ip: office, every: 200 * time.Millisecond, want: "ok"},
		}},
		{"one person signs in 50 times from one address", []step{
			{n: 50, user: "ann@example.org", right: true, ip: office, want: "ok"},
		}},
		{"20 wrong per second: 429 after the budget, not from another address", []step{
			{n: 10, user: "bob@example.org", ip: attacker, every: 50 * time.Millisecond, want: "wrong"},
			{n: 10, user: "bob@example.org", ip: attacker, every: 50 * time.Millisecond, want: "limited"},
			{n: 1, user: "bob@example.org", right: true, ip: attacker, want: "limited"}, // no oracle
			{n: 1, user: "bob@example.org", right: true, ip: home, want: "ok"},
			{n: 1, user: "carol@example.org", right: true, ip: attacker, want: "ok"},
		}},
		{"a burst of typos, then the right password", []step{
			{n: 9, user: "dan@example.org", ip: office, want: "wrong"},
			{n: 1, user: "dan@example.org", right: true, ip: office, want: "ok"},
			{n: 1, user: "dan@example.org", ip: office, want: "wrong"}, // the tenth failure
			{n: 1, user: "dan@example.org", right: true, ip: office, want: "limited"},
		}},
		{"the budget refills: one failure per 6 s", []step{
			{n: 10, user: "eve@example.org", ip: attacker, want: "wrong"},
			{n: 1, user: "eve@example.org", ip: attacker, every: 6 * time.Second, want: "limited"},
			{n: 3, user: "eve@example.org", ip: attacker, every: 6 * time.Second, want: "wrong"},
			{n: 1, user: "eve@example.org", ip: attacker, want: "wrong"},
			{n: 1, user: "eve@example.org", right: true, ip: attacker, every: 6 * time.Second, want: "limited"},
			{n: 1, user: "eve@example.org", right: true, ip: attacker, want: "ok"},
		}},
		{"IPv6: one /64 is one network", []step{
			{n: 10, user: "fay@example.org", ip: "2001:db8:1:2::1", want: "wrong"},
			{n: 1, user: "fay@example.org", right: true, ip: "2001:db8:1:2:ffff::99", want: "limited"},
			{n: 1, user: "fay@example.org", right: true, ip: "2001:db8:1:3::1", want: "ok"},
		}},
		{"IPv4-mapped IPv6 is the IPv4 address", []step{
			{n: 10, user: "gus@example.org", ip: "::ffff:192.0.2.9", want: "wrong"},
			{n: 1, user: "gus@example.org", right: true, ip: "192.0.2.9", want: "limited"},
		}},
		{"password spraying from one network is slowed; known colleagues still sign in", []step{
			{n: 1, user: "hal@example.org", right: true, ip: office, want: "ok"},
			{n: 50, user: "victim%d@example.org", ip: office, want: "wrong"},
			{n: 1, user: "victim50@example.org", ip: office, want: "limited"},
			{n: 1, user: "hal@example.org", right: true, ip: office, want: "ok"},
			{n: 1, user: "newcomer@example.org", right: true, ip: office, want: "limited"},
			{n: 1, user: "newcomer@example.org", right: true, ip: home, want: "ok"},
		}},
		{"distributed guessing hits the account cap; the owner's usual network still works", []step{
			{n: 1, user: "ida@example.org", right: true, ip: office, want: "ok"},
			{n: 10, user: "ida@example.org", ip: "192.0.2.1", want: "wrong"},
			{n: 10, user: "ida@example.org", ip: "192.0.2.2", want: "wrong"},
			{n: 1, user: "ida@example.org", ip: "192.0.2.3", want: "limited"},
			{n: 1, user: "ida@example.org", right: true, ip: office, want: "ok"},
			{n: 1, user: "ida@example.org", right: true, ip: home, want: "limited"},
		}},
		{"one network alone never reaches the account cap", []step{
			{n: 10, user: "jo@example.org", ip: attacker, every: 600 * time.Millisecond, want: "wrong"},
			{n: 30, user: "jo@example.org", ip: attacker, every: 6 * time.Second, want: "wrong"},
			{n: 1, user: "jo@example.org", right: true, ip: home, want: "ok"},
		}},
		{"usernames differ only in case: one account", []step{
			{n: 10, user: "Kim@Example.org", ip: attacker, want: "wrong"},
			{n: 1, user: "kim@example.org", ip: attacker, want: "limited"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, clock := limitedService(t, 10)
			count := 0
			for si, st := range tt.steps {
				for i := range st.n {
					user := st.user
					if strings.Contains(user, "%d") {
						user = fmt.Sprintf(user, count)
					}
					count++
					got, _ := signIn(t, s, user, st.right, st.ip)
					if got != st.want {
						t.Fatalf("step %d, attempt %d (%s from %s, right=%v): %s, want %s", si, i+1, user, st.ip, st.right, got, st.want)
					}
					clock.add(st.every)
				}
			}
		})
	}
}

// TestRetryAfter: the wait a 429 announces is the wait that works.
func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name      string
		perMinute int
		want      time.Duration // the wait right after the budget is spent
	}{
		{"default budget", 10, 6 * time.Second},
		{"one per minute", 1, time.Minute},
		{"sixty per minute", 60, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := limitedService(t, tt.perMinute)
			for range tt.perMinute {
				if got, _ := signIn(t, s, "lou@example.org", false, "192.0.2.5"); got != "wrong" {
					t.Fatalf("within the budget: %s", got)
				}
			}
			_, rl := signIn(t, s, "lou@example.org", true, "192.0.2.5")
			if rl == nil || rl.RetryAfter != tt.want {
				t.Fatalf("Retry-After %v, want %v", rl, tt.want)
			}
			clock.add(rl.RetryAfter - time.Millisecond)
			if got, _ := signIn(t, s, "lou@example.org", true, "192.0.2.5"); got != "limited" {
				t.Fatalf("just before Retry-After: %s", got)
			}
			clock.add(time.Millisecond)
			if got, _ := signIn(t, s, "lou@example.org", true, "192.0.2.5"); got != "ok" {
				t.Fatalf("at Retry-After: %s", got)
			}
		})
	}
}

// TestAttemptsInFlight: parallel guesses for one pair get no more than the
// budget, and only a wrong password keeps its unit spent.
func TestAttemptsInFlight(t *testing.T) {
	unavailable := domain.Errorf(domain.ErrAuthUnavailable, domain.CodeAuthUnavailable, "down")
	wrong := domain.Errorf(domain.ErrInvalidCredentials, domain.CodeInvalidCredentials, "wrong")
	tests := []struct {
		name   string
		result error // how the in-flight attempts end
		after  bool  // whether an 11th may begin after they ended
	}{
		{"wrong passwords", wrong, false},
		{"provider unavailable", unavailable, true},
		{"success", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimiter(10)
			clock := newFakeClock()
			l.now = clock.now
			var inFlight []*attempt
			for range 10 {
				a, wait := l.begin("max@example.org", "192.0.2.7")
				if wait > 0 {
					t.Fatalf("within the budget: wait %v", wait)
				}
				inFlight = append(inFlight, a)
			}
			if _, wait := l.begin("max@example.org", "192.0.2.7"); wait == 0 {
				t.Fatal("an 11th attempt in flight was let through")
			}
			for _, a := range inFlight {
				a.end(tt.result)
			}
			if _, wait := l.begin("max@example.org", "192.0.2.7"); (wait == 0) != tt.after {
				t.Fatalf("after the attempts ended: wait %v", wait)
			}
		})
	}
}

func TestNoLimit(t *testing.T) {
	s, _ := limitedService(t, 0)
	for range 100 {
		if got, _ := signIn(t, s, "ned@example.org", false, "192.0.2.8"); got != "wrong" {
			t.Fatalf("limit 0 limited: %s", got)
		}
	}
}

func TestNetwork(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"198.51.100.3, 192.0.2.1", "192.0.2.1"}, // X-Forwarded-For: the proxy's entry
		{"spoofed, 2001:db8::9", "2001:db8::/64"},
		{"", ""},
		{"not-an-ip", "not-an-ip"},
	}
	for _, tt := range tests {
		if got := network(tt.ip); got != tt.want {
			t.Errorf("network(%q) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}

// limiterMemoryBound is what the limiter may hold however many usernames
// and addresses are tried: both tables full, their maps at worst-case load.
const limiterMemoryBound = 20 << 20

// TestLimiterMemory: 200,000 distinct usernames, each failing then signing
// in from its own address (the worst case: a distributed attack, and both
// tables full), keep the limiter under
// limiterMemoryBound, and the newest keys are still limited. From one
// address, limited requests add nothing.
func TestLimiterMemory(t *testing.T) {
	const users = 200_000
	wrong := domain.Errorf(domain.ErrInvalidCredentials, domain.CodeInvalidCredentials, "wrong")
	ip := func(i int) string { return fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255) }

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l := newLimiter(10)
	clock := newFakeClock()
	l.now = clock.now
	for i := range users {
		a, wait := l.begin(fmt.Sprintf("user%d@example.org", i), ip(i))
		if wait > 0 {
			t.Fatalf("user %d: a first failure was limited (%v)", i, wait)
		}
		a.end(wrong)
		if a, wait = l.begin(fmt.Sprintf("user%d@example.org", i), ip(i)); wait > 0 {
			t.Fatalf("user %d: the right password was limited (%v)", i, wait)
		}
		a.end(nil)
		if i%1000 == 0 {
			clock.add(time.Millisecond)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("limiter after %d usernames from %d addresses: %d failure keys, %d known pairs, %.1f MiB",
		users, users, l.failures.len(), l.known.len(), float64(held)/(1<<20))
	if held > limiterMemoryBound {
		t.Errorf("limiter holds %d bytes, bound %d", held, limiterMemoryBound)
	}
	if n, k := l.failures.len(), l.known.len(); n > maxFailureKeys || k > maxKnownPairs {
		t.Errorf("%d failure keys, %d known pairs, caps %d and %d", n, k, maxFailureKeys, maxKnownPairs)
	}
	// The newest keys still work: the last user has 9 failures left there.
	last, lastIP := fmt.Sprintf("user%d@example.org", users-1), ip(users-1)
	for range 9 {
		a, wait := l.begin(last, lastIP)
		if wait > 0 {
			t.Fatalf("newest user limited early (%v)", wait)
		}
		a.end(wrong)
	}
	if _, wait := l.begin(last, lastIP); wait == 0 {
		t.Fatal("newest user not limited after the budget")
	}
	runtime.KeepAlive(l)

	one := newLimiter(10)
	one.now = clock.now
	for i := range users {
		if a, wait := one.begin(fmt.Sprintf("user%d@example.org", i), "192.0.2.10"); wait == 0 {
			a.end(wrong)
		}
	}
	if n := one.failures.len(); n > 3*networkBurst*10 {
		t.Errorf("one limited address left %d failure keys", n)
	}
}
