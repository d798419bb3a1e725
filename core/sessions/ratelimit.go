package sessions

import (
	"errors"
	"fmt"
	"hash/maphash"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
)

// rateLimited is the refusal of a sign-in over budget: 429 rate_limited,
// with the wait that works as its Retry-After.
func rateLimited(wait time.Duration) *domain.Error {
	return &domain.Error{Kind: domain.ErrRateLimited, Code: domain.CodeRateLimited, RetryAfter: wait,
		Message: fmt.Sprintf("too many sign-in attempts; try again in %d seconds", int(wait.Seconds()+0.999))}
}

// Sign-in failure budgets. Only wrong passwords spend them; a correct one is
// never refused unless its own (account, network) pair is already over
// budget. B is auth.login_rate_per_minute; every budget refills at B per
// minute and holds at most the burst below:
//
//   - (account, network): B. The brute-force guard; always applies. A
//     request is counted while in flight, so parallel guesses get no more.
//   - network, all accounts: networkBurst × B. Slows password spraying from
//     one address; an office's correct sign-ins do not spend it.
//   - account, all networks: accountBurst × B. Distributed guessing gets no
//     more than one network would (B per minute); one network alone never
//     empties it, since the pair budget refills no faster.
//
// The last two are skipped for a pair that signed in successfully within
// knownFor: colleagues behind a NAT whose address is being abused, and the
// owner of an account guessed at from elsewhere, still sign in from where
// they usually do.
const (
	networkBurst = 5
	accountBurst = 2
	knownFor     = 30 * 24 * time.Hour
	// maxFailureKeys caps the remembered failure budgets (about 64 bytes
	// each; a full budget is forgotten at once, so only the least recently
	// touched busy ones are ever dropped); maxKnownPairs the pairs that
	// signed in, which only correct passwords add.
	maxFailureKeys = 100_000
	maxKnownPairs  = 100_000
)

// limiter keeps the failure budgets of sign-ins, bounded in memory. Budgets
// are GCRA token buckets: one "theoretical arrival time" per key.
type limiter struct {
	every    time.Duration // one failure's worth of budget refills this often; 0 = no limit
	burst    int64         // B
	now      func() time.Time
	seed     maphash.Seed
	mu       sync.Mutex
	failures *lruTable // pair/network/account key → tat, unix ns
	known    *lruTable // pair key → when it stops being known, unix ns
}

func newLimiter(perMinute int) *limiter {
	l := &limiter{now: time.Now, seed: maphash.MakeSeed(),
		failures: newLRUTable(maxFailureKeys), known: newLRUTable(maxKnownPairs)}
	if perMinute > 0 {
		l.every, l.burst = time.Minute/time.Duration(perMinute), int64(perMinute)
	}
	return l
}

// attempt is one sign-in let through by begin; end settles its budget.
type attempt struct {
	l               *limiter
	pair, net, acct uint64
}

// begin decides whether a sign-in for account from ip may be checked at
// all. It returns how long to wait when a budget it falls under is spent,
// else the attempt (nil when limits are off), which has already taken one
// unit of its pair's budget: end gives it back unless the password was
// wrong.
func (l *limiter) begin(account, ip string) (*attempt, time.Duration) {
	if l.every == 0 {
		return nil, 0
	}
	netw := network(ip)
	a := &attempt{l: l, pair: l.key('p', account, netw), net: l.key('n', "", netw), acct: l.key('a', account, "")}
	now := l.now().UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	wait := l.over(a.pair, l.burst, now)
	if until, ok := l.known.get(a.pair); !ok || until <= now {
		wait = max(wait, l.over(a.net, networkBurst*l.burst, now), l.over(a.acct, accountBurst*l.burst, now))
	}
	if wait > 0 {
		return nil, wait
	}
	l.spend(a.pair, now)
	return a, 0
}

// end settles an attempt by the sign-in's result: a wrong password spends
// the network's and the account's budgets too (its pair's unit stays
// spent); success gives the pair's unit back and remembers the pair as
// known; anything else (a provider unavailable, …) just gives it back.
func (a *attempt) end(err error) {
	if a == nil {
		return
	}
	l := a.l
	now := l.now().UnixNano()
	l.mu.Lock()
	defer l.mu.Unlock()
	if errors.Is(err, domain.ErrInvalidCredentials) {
		l.spend(a.net, now)
		l.spend(a.acct, now)
		return
	}
	if tat, ok := l.failures.get(a.pair); ok {
		if tat -= int64(l.every); tat > now {
			l.failures.put(a.pair, tat, now)
		} else {
			l.failures.del(a.pair)
		}
	}
	if err == nil {
		l.known.put(a.pair, now+int64(knownFor), now)
	}
}

// over returns how long until key's budget of burst has a unit again; 0
// when it has one now.
func (l *limiter) over(key uint64, burst, now int64) time.Duration {
	tat, ok := l.failures.get(key)
	if !ok {
		return 0
	}
	return max(0, time.Duration(tat-now-(burst-1)*int64(l.every)))
}

// spend takes one unit of key's budget. It may go below zero (failures that
// were in flight together); the wait grows to match, so the rate over time
// stays the limit.
func (l *limiter) spend(key uint64, now int64) {
	tat, _ := l.failures.get(key)
	l.failures.put(key, max(tat, now)+int64(l.every), now)
}

// key hashes a budget's identity to 64 bits with a per-process seed: small to
// keep, and not collidable on purpose by someone who cannot read the seed.
func (l *limiter) key(kind byte, account, netw string) uint64 {
	var h maphash.Hash
	h.SetSeed(l.seed)
	h.WriteByte(kind)
	h.WriteString(account)
	h.WriteByte(0)
	h.WriteString(netw)
	return h.Sum64()
}

// network is the client network of an address as Fiber's c.IP() gives it:
// an IPv4 address, or the /64 of an IPv6 one (one household or office gets
// a /64, and can pick any address in it). From a trusted proxy's
// X-Forwarded-For list the last entry counts: the proxy wrote it, while the
// client can write anything before it. Anything unparsable is its own
// network.
func network(ip string) string {
	if i := strings.LastIndexByte(ip, ','); i >= 0 {
		ip = ip[i+1:]
	}
	ip = strings.TrimSpace(ip)
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// lruTable maps 64-bit keys to a time, keeping at most max of them: the
// least recently used go first, and those whose time has passed (a full
// budget, a forgotten pair) as soon as they reach the end of the list. Nodes
// live in one slice linked by index, so the table holds no pointers for the
// garbage collector to trace.
type lruTable struct {
	max   int
	index map[uint64]int32
	nodes []lruNode // nodes[0] is the list head: next = newest, prev = oldest
	free  []int32
}

type lruNode struct {
	key        uint64
	at         int64
	prev, next int32
}

func newLRUTable(max int) *lruTable {
	return &lruTable{max: max, index: map[uint64]int32{}, nodes: make([]lruNode, 1)}
}

// get returns key's time and marks it used.
func (t *lruTable) get(key uint64) (int64, bool) {
	i, ok := t.index[key]
	if !ok {
		return 0, false
	}
	t.unlink(i)
	t.pushFront(i)
	return t.nodes[i].at, true
}

// put sets key's time, marks it used, and drops what is stale or too many.
func (t *lruTable) put(key uint64, at, now int64) {
	if i, ok := t.index[key]; ok {
		t.nodes[i].at = at
		t.unlink(i)
		t.pushFront(i)
	} else {
		var i int32
		if n := len(t.free); n > 0 {
			i, t.free = t.free[n-1], t.free[:n-1]
		} else {
			i = int32(len(t.nodes))
			t.nodes = append(t.nodes, lruNode{})
		}
		t.nodes[i] = lruNode{key: key, at: at}
		t.index[key] = i
		t.pushFront(i)
	}
	for old := t.nodes[0].prev; old != 0 && (len(t.index) > t.max || t.nodes[old].at <= now); old = t.nodes[0].prev {
		t.remove(old)
	}
}

func (t *lruTable) del(key uint64) {
	if i, ok := t.index[key]; ok {
		t.remove(i)
	}
}

func (t *lruTable) len() int { return len(t.index) }

func (t *lruTable) remove(i int32) {
	t.unlink(i)
	delete(t.index, t.nodes[i].key)
	t.free = append(t.free, i)
}

func (t *lruTable) unlink(i int32) {
	n := &t.nodes[i]
	t.nodes[n.prev].next, t.nodes[n.next].prev = n.next, n.prev
}

func (t *lruTable) pushFront(i int32) {
	head := t.nodes[0].next
	t.nodes[i].prev, t.nodes[i].next = 0, head
	t.nodes[head].prev, t.nodes[0].next = i, i
}
