package sessions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// providerTokens is what gets sealed into a session.
type providerTokens struct {
	Access  string `json:"access,omitempty"`
	ID      string `json:"id,omitempty"`
	Refresh string `json:"refresh,omitempty"`
}

// sealProviderTokens stores the provider's tokens from resp in sess,
// encrypted and bound to the session's token hash.
func (s *Service) sealProviderTokens(sess *domain.Session, resp *sdk.AuthenticateResponse) error {
	if resp == nil || (resp.GetAccessToken() == "" && resp.GetRefreshToken() == "" && resp.GetIdToken() == "") {
		sess.ProviderTokens, sess.ProviderExpiry = nil, time.Time{}
		return nil
	}
	plain, err := json.Marshal(providerTokens{Access: resp.GetAccessToken(), ID: resp.GetIdToken(), Refresh: resp.GetRefreshToken()})
	if err != nil {
		return err
	}
	sealed, err := s.vault.Seal(plain, []byte(sess.TokenHash))
	if err != nil {
		return fmt.Errorf("seal provider tokens: %w", err)
	}
	sess.ProviderTokens = sealed
	sess.ProviderExpiry = time.Time{}
	if resp.GetExpiresIn() > 0 {
		sess.ProviderExpiry = s.now().UTC().Add(time.Duration(resp.GetExpiresIn()) * time.Second)
	}
	sess.RefreshFailures, sess.NextRefresh, sess.ProviderDown = 0, time.Time{}, false
	return nil
}

// openProviderTokens returns the session's provider tokens as an
// AuthenticateResponse (nil when there are none).
func (s *Service) openProviderTokens(sess domain.Session) (*sdk.AuthenticateResponse, error) {
	if len(sess.ProviderTokens) == 0 {
		return nil, nil
	}
	plain, err := s.vault.Open(sess.ProviderTokens, []byte(sess.TokenHash))
	if err != nil {
		return nil, err
	}
	var pt providerTokens
	if err := json.Unmarshal(plain, &pt); err != nil {
		return nil, fmt.Errorf("decode provider tokens: %w", err)
	}
	var exp int64
	if !sess.ProviderExpiry.IsZero() {
		exp = int64(time.Until(sess.ProviderExpiry).Seconds())
	}
	return &sdk.AuthenticateResponse{AccessToken: pt.Access, IdToken: pt.ID, RefreshToken: pt.Refresh, ExpiresIn: exp}, nil
}

func (s *Service) provider(name string) Provider {
	for _, p := range s.providers {
		if p.Name() == name {
			return p
		}
	}
	return nil
}

// revoke revokes the refresh token (or else the access token) at the
// provider, best effort: logout succeeds whatever the provider says.
func (s *Service) revoke(ctx context.Context, provider string, pt *sdk.AuthenticateResponse) {
	p := s.provider(provider)
	if p == nil {
		return
	}
	a, err := p.Auth(ctx)
	if err != nil {
		return
	}
	tok, hint := pt.GetRefreshToken(), "refresh_token"
	if tok == "" {
		tok, hint = pt.GetAccessToken(), "access_token"
	}
	if tok == "" {
		return
	}
	if err := a.RevokeToken(ctx, tok, hint); err != nil && !errors.Is(err, sdk.ErrNotImplemented) {
		s.log.Warn("revoke provider token at logout failed", "provider", provider, "error", err)
	}
}

// RunRefresher renews provider tokens token_refresh_buffer before they
// expire, checking every interval until ctx ends. Failures back off
// exponentially per session. A refusal (invalid_grant) ends the session at
// once; while the provider cannot be reached the session lives on until
// its tokens' expiry plus the outage grace; any other failure ends it when
// its tokens expire.
func (s *Service) RunRefresher(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var swept time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.RefreshDue(ctx)
			if s.now().Sub(swept) >= expiredSweepInterval {
				swept = s.now()
				s.SweepExpired(ctx)
			}
		}
	}
}

// expiredSweepInterval is how often RunRefresher removes ended sessions.
const expiredSweepInterval = 10 * time.Minute

// SweepExpired removes sessions past their idle or absolute expiry, which
// are otherwise only removed when their token is used again.
func (s *Service) SweepExpired(ctx context.Context) int {
	n, err := s.store.DeleteExpiredSessions(ctx, s.now().UTC())
	if err != nil {
		s.log.Error("remove expired sessions", "error", err)
		return 0
	}
	if n > 0 {
		s.log.Info("expired sessions removed", "count", n)
	}
	return n
}

// RefreshDue renews every session whose provider token is within the
// refresh buffer of expiring; it returns how many were renewed.
func (s *Service) RefreshDue(ctx context.Context) int {
	now := s.now().UTC()
	due, err := s.store.ListSessions(ctx, func(x domain.Session) bool {
		return len(x.ProviderTokens) > 0 && !x.ProviderExpiry.IsZero() &&
			!now.Before(x.ProviderExpiry.Add(-s.opts.RefreshBuffer)) && !now.Before(x.NextRefresh)
	})
	if err != nil {
		s.log.Error("list sessions to refresh", "error", err)
		return 0
	}
	renewed := 0
	for _, sess := range due {
		if ctx.Err() != nil {
			break
		}
		if s.refreshOne(ctx, sess, now) {
			renewed++
		}
	}
	return renewed
}

func (s *Service) refreshOne(ctx context.Context, sess domain.Session, now time.Time) bool {
	log := s.log.With("user_id", sess.UserID, "provider", sess.Provider)
	pt, err := s.openProviderTokens(sess)
	var resp *sdk.AuthenticateResponse
	if err == nil && pt.GetRefreshToken() == "" {
		err = errors.New("the provider issued no refresh token")
	}
	if err == nil {
		if p := s.provider(sess.Provider); p == nil {
			err = errors.New("provider no longer configured")
		} else if a, aerr := p.Auth(ctx); aerr != nil {
			err = aerr
		} else {
			resp, err = a.RefreshToken(ctx, pt.GetRefreshToken())
		}
	}
	if err == nil && resp.GetRefreshToken() == "" {
		resp.RefreshToken = pt.GetRefreshToken() // provider keeps the old one valid
	}
	if errors.Is(err, sdk.ErrInvalidCredentials) {
		// The provider answered: this refresh token (or the account) is no
		// longer good. The session ends now, not when its tokens run out.
		log.Info("session ended: the provider refused to renew its tokens", "error", err)
		_ = s.store.DeleteSession(ctx, sess.TokenHash)
		return false
	}
	down := err != nil && (errors.Is(err, sdk.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded))
	_, uerr := s.store.UpdateSession(ctx, sess.TokenHash, func(x *domain.Session) error {
		if err == nil {
			return s.sealProviderTokens(x, resp)
		}
		x.ProviderDown = down
		x.RefreshFailures++
		backoff := time.Duration(1<<min(x.RefreshFailures, 8)) * 5 * time.Second
		x.NextRefresh = now.Add(min(backoff, 10*time.Minute))
		return nil
	})
	switch {
	case err == nil && uerr == nil:
		log.Debug("provider tokens renewed")
		return true
	case err != nil && s.providerEnded(domain.Session{ProviderExpiry: sess.ProviderExpiry, ProviderDown: down}, now):
		log.Info("session ended: provider tokens expired and could not be renewed", "provider_down", down, "error", err)
		_ = s.store.DeleteSession(ctx, sess.TokenHash)
	case err != nil:
		log.Warn("provider token renewal failed; will retry", "failures", sess.RefreshFailures+1, "error", err)
	}
	return false
}
