package localauth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"
)

// upgradeTimeout bounds one background re-hash, waiting for a hash slot and
// the users file's lock included. One that runs out is tried again at the
// account's next sign-in.
const upgradeTimeout = 2 * time.Minute

// errHashChanged means the stored hash is no longer the one that was
// checked: the password was changed or the account deleted meanwhile.
var errHashChanged = errors.New("password hash changed meanwhile")

// upgradeLater re-hashes a verified password with the current parameters in
// the background, at most once at a time per account. It goes to the back of
// the hash queue, behind the sign-ins already waiting, and outlives ctx (the
// sign-in has been answered by then).
func (u *UserFile) upgradeLater(ctx context.Context, email, oldHash, password string) {
	u.mu.Lock()
	if u.upgrading[email] {
		u.mu.Unlock()
		return
	}
	u.upgrading[email] = true
	u.mu.Unlock()
	ctx = context.WithoutCancel(ctx)
	u.upgrades.Go(func() {
		defer func() {
			u.mu.Lock()
			delete(u.upgrading, email)
			u.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(ctx, upgradeTimeout)
		defer cancel()
		if err := u.upgrade(ctx, email, oldHash, password); err != nil {
			u.log.Warn("could not store the password hash with the current parameters; the old one still works",
				"error", err)
		}
	})
}

// upgrade stores a hash of password under the current parameters for email,
// if its stored hash is still oldHash. It never bumps UpdatedAt: nobody
// changed the account.
func (u *UserFile) upgrade(ctx context.Context, email, oldHash, password string) error {
	h, err := u.hashNow(ctx, password)
	if err != nil {
		return fmt.Errorf("re-hash password of %s: %w", email, err)
	}
	err = u.update(ctx, func(users map[string]userRecord, _ time.Time) error {
		r, ok := users[email]
		if !ok || r.PasswordHash != oldHash {
			return errHashChanged
		}
		r.PasswordHash = h
		users[email] = r
		return nil
	})
	switch {
	case errors.Is(err, errHashChanged):
		return nil // a new password has the current parameters already
	case err != nil:
		return fmt.Errorf("re-hash password of %s: %w", email, err)
	}
	return nil
}

// userSet is one read of the users file: the accounts, and how many of
// their hashes use each set of argon2 parameters.
type userSet struct {
	users map[string]userRecord // shared: never modified
	costs []costShare           // sorted, so the choice of dummyFor is stable
}

// costShare is one set of argon2 parameters and how many stored hashes
// use it.
type costShare struct {
	params argonParams
	n      int
}

func newUserSet(users map[string]userRecord) *userSet {
	s := &userSet{users: users}
	counts := map[argonParams]int{}
	for _, r := range users {
		if p, _, _, err := parsePHC(r.PasswordHash); err == nil {
			counts[p]++
		}
	}
	for p, n := range counts {
		s.costs = append(s.costs, costShare{p, n})
	}
	slices.SortFunc(s.costs, func(a, b costShare) int {
		return cmp.Or(cmp.Compare(a.params.memoryKiB, b.params.memoryKiB), cmp.Compare(a.params.time, b.params.time),
			cmp.Compare(a.params.threads, b.params.threads), cmp.Compare(a.params.saltLen, b.params.saltLen),
			cmp.Compare(a.params.keyLen, b.params.keyLen))
	})
	return s
}

// dummyFor is the hash an unknown email is checked against: one no password
// matches, with the parameters of a stored hash picked by the email (always
// the same for one email), so the proportion of unknown emails that cost
// like an old hash is the proportion of old hashes in the file. With no
// accounts it has the current parameters.
func (s *userSet) dummyFor(email string, current argonParams) string {
	total := 0
	for _, c := range s.costs {
		total += c.n
	}
	if total == 0 {
		return dummyHash(current)
	}
	h := fnv.New64a()
	h.Write([]byte(email))
	k := int(h.Sum64() % uint64(total))
	for _, c := range s.costs {
		if k < c.n {
			return dummyHash(c.params)
		}
		k -= c.n
	}
	return dummyHash(current) // unreachable
}
