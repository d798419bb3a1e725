package sessions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// accountAlive confirms with the session's provider that the account still
// exists, at most once per UserRecheck unless forced (a renewal forces it).
//
// What the provider says decides, not whether it can be asked: an answer
// that the account is gone (deleted, disabled, no longer matching the
// directory's filter) ends the session. A provider that cannot be reached
// (connection refused, timeout, 5xx, breaker open) leaves the session
// working for OutageGrace after it last vouched for the account, at
// sign-in or at a check — the same grace provider tokens get — so a
// directory outage signs nobody out, yet an account disabled during a long
// one does not keep its sessions for ever. A provider that cannot look
// accounts up (OIDC, http without lookup_endpoint), or that refuses ocrbox
// itself (misconfigured: the administrator's to fix, and not the person's
// fault), leaves the session as it is.
func (s *Service) accountAlive(ctx context.Context, sess domain.Session, u domain.User, force bool) bool {
	now := s.now()
	if last, ok := s.checked.Load(u.ID); ok && !force && now.Sub(last.(time.Time)) < s.opts.UserRecheck {
		return true
	}
	p := s.provider(sess.Provider)
	if p == nil {
		return true // provider no longer configured: nothing to ask
	}
	log := s.log.With("user_id", u.ID, "provider", sess.Provider)
	key := confirmKey(sess.Provider, u.ID)
	a, err := p.Auth(ctx)
	if err != nil {
		err = fmt.Errorf("%w: %v", sdk.ErrUnavailable, err)
	} else {
		_, err = a.LookupUser(ctx, u.Email)
	}
	switch {
	case err == nil:
		s.confirmed.Store(key, now)
	case errors.Is(err, sdk.ErrUserNotFound):
		s.checked.Delete(u.ID)
		s.confirmed.Delete(key)
		log.Info("session ended: account no longer exists at its provider")
		return false
	case ctx.Err() != nil:
		return true // the request ended first: nothing learnt
	case unreachable(err):
		// After a restart, which forgets when the provider last vouched,
		// the grace runs from the first check that could not reach it.
		v, _ := s.confirmed.LoadOrStore(key, now)
		if since := v.(time.Time); now.Sub(since) > s.opts.OutageGrace {
			// Not deleted from confirmed: the user's other sessions end
			// at their next check too.
			log.Info("session ended: its provider could not confirm the account for longer than auth.outage_grace",
				"unconfirmed_since", since.UTC(), "error", err)
			return false
		}
	}
	// Found, not checkable, or unreachable within the grace: ask again only
	// after UserRecheck, so this never costs a provider call per request.
	s.checked.Store(u.ID, now)
	return true
}

// unreachable reports a check that got no answer from the provider: its
// plugin or backend is down, slow, or its breaker is open.
func unreachable(err error) bool {
	return errors.Is(err, sdk.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// confirmKey names an account at one provider in Service.confirmed.
func confirmKey(provider, userID string) string { return provider + "\x00" + userID }
