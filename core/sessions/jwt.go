package sessions

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// looksLikeJWT tells a provider's JWT from ocrbox's own opaque tokens
// (43 base64url characters, no dots).
func looksLikeJWT(tok string) bool {
	return strings.HasPrefix(tok, "eyJ") && strings.Count(tok, ".") == 2
}

// jwtCache remembers validated provider JWTs until they expire (and
// rejected ones briefly), so a bearer JWT costs one provider call, not one
// per request. Keys are token hashes.
type jwtCache struct {
	mu      sync.Mutex
	entries map[string]jwtEntry
}

type jwtEntry struct {
	user    domain.User
	ok      bool
	expires time.Time
}

func newJWTCache() jwtCache { return jwtCache{entries: map[string]jwtEntry{}} }

func (c *jwtCache) get(h string, now time.Time) (jwtEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[h]
	if ok && now.After(e.expires) {
		delete(c.entries, h)
		return jwtEntry{}, false
	}
	return e, ok
}

func (c *jwtCache) put(h string, e jwtEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) > 10000 { // bound memory under a flood of junk tokens
		now := time.Now()
		for k, v := range c.entries {
			if now.After(v.expires) || !v.ok {
				delete(c.entries, k)
			}
		}
	}
	c.entries[h] = e
}

// negativeTTL is how long a rejected JWT is remembered.
const negativeTTL = 30 * time.Second

// authenticateJWT validates a provider JWT presented as a bearer token with
// each provider that validates JWTs, and caches the answer until expiry.
func (s *Service) authenticateJWT(ctx context.Context, tok string) (domain.User, error) {
	unauth := domain.Errorf(domain.ErrUnauthenticated, "unauthenticated", "sign in required: the token is invalid or expired")
	h := Hash(tok)
	now := s.now()
	if e, ok := s.jwts.get(h, now); ok {
		if !e.ok {
			return domain.User{}, unauth
		}
		return e.user, nil
	}
	var unavailable bool
	for _, p := range s.providers {
		a, err := p.Auth(ctx)
		if err != nil {
			continue
		}
		resp, err := a.ValidateToken(ctx, tok)
		switch {
		case err == nil:
			u, err := s.recordUser(ctx, p.Name(), resp.GetUser())
			if err != nil {
				return domain.User{}, err
			}
			ttl := time.Duration(resp.GetExpiresIn()) * time.Second
			if ttl = min(ttl, time.Hour); ttl > 0 {
				s.jwts.put(h, jwtEntry{user: u, ok: true, expires: now.Add(ttl)})
			}
			return u, nil
		case errors.Is(err, sdk.ErrUnavailable):
			unavailable = true
		}
	}
	if unavailable {
		// Do not cache: the provider may be back in a moment.
		return domain.User{}, domain.Errorf(domain.ErrAuthUnavailable, "auth_unavailable",
			"the token cannot be checked right now; please try again shortly")
	}
	s.jwts.put(h, jwtEntry{ok: false, expires: now.Add(negativeTTL)})
	return domain.User{}, unauth
}
