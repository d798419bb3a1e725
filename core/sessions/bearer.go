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

// looksLikeOurs: an ocrbox session token (NewToken: 32 random bytes,
// base64url). One that has no session is expired or made up, and no
// provider is asked about it.
func looksLikeOurs(tok string) bool {
	if len(tok) != 43 {
		return false
	}
	return !strings.ContainsFunc(tok, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}

// maxBearer bounds a bearer token sent to a provider for validation.
const maxBearer = 8 << 10

// jwtCache remembers validated provider tokens (JWTs or opaque) until they
// expire, and rejected ones briefly, so a bearer costs one provider call,
// not one per request. Keys are token hashes.
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

// authenticateProviderToken validates a bearer token that is not an
// ocrbox session — a provider's JWT, or an organisation API's opaque
// token — with each provider that validates tokens, and caches the answer
// until expiry. Uncached lookups are rate-limited for the whole server, so
// a flood of made-up tokens cannot flood the providers.
func (s *Service) authenticateProviderToken(ctx context.Context, tok string) (domain.User, error) {
	unauth := domain.Errorf(domain.ErrUnauthenticated, domain.CodeUnauthenticated, "sign in required: the token is invalid or expired")
	if len(tok) > maxBearer {
		return domain.User{}, unauth
	}
	h := Hash(tok)
	now := s.now()
	if e, ok := s.jwts.get(h, now); ok {
		if !e.ok {
			return domain.User{}, unauth
		}
		return e.user, nil
	}
	if !s.lookups.Allow() {
		s.log.WarnContext(ctx, "bearer token lookups over their rate; token refused unchecked")
		return domain.User{}, domain.Errorf(domain.ErrAuthUnavailable, domain.CodeAuthUnavailable,
			"the token cannot be checked right now; please try again shortly")
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
		return domain.User{}, domain.Errorf(domain.ErrAuthUnavailable, domain.CodeAuthUnavailable,
			"the token cannot be checked right now; please try again shortly")
	}
	s.jwts.put(h, jwtEntry{ok: false, expires: now.Add(negativeTTL)})
	return domain.User{}, unauth
}
