// Package sessions signs people in through the configured auth providers
// and issues ocrbox's own opaque session tokens. A token is 256 random bits;
// only its SHA-256 is stored, so a leaked database reveals no usable token.
package sessions

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Store persists users and sessions.
type Store interface {
	SignInUser(ctx context.Context, in domain.SignIn) (domain.User, error)
	GetUser(ctx context.Context, id string) (domain.User, error)
	CreateSession(ctx context.Context, s domain.Session) error
	GetSession(ctx context.Context, tokenHash string) (domain.Session, error)
	UpdateSession(ctx context.Context, tokenHash string, fn func(*domain.Session) error) (domain.Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	FindSessionByRefresh(ctx context.Context, refreshHash string) (domain.Session, error)
	ListSessions(ctx context.Context, keep func(domain.Session) bool) ([]domain.Session, error)
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}

// Vault seals provider tokens at rest (core/tokenvault).
type Vault interface {
	Seal(plain, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
	Stale(sealed []byte) bool
}

// Provider is one configured auth provider.
type Provider interface {
	Name() string
	Auth(ctx context.Context) (sdk.AuthProvider, error)
}

// Options configure session lifetimes and login rate limits.
type Options struct {
	IdleTimeout        time.Duration
	Lifetime           time.Duration
	LoginRatePerMinute int
	// RefreshBuffer is how long before the provider's access token expires
	// the refresher renews it (auth.token_refresh_buffer).
	RefreshBuffer time.Duration
	// UserRecheck is how often a session's account is confirmed with its
	// provider (deleted or disabled accounts lose their sessions); 0 checks
	// on every request.
	UserRecheck time.Duration
	// Observer is told about every sign-in attempt (metrics); nil: nobody.
	Observer Observer
	// LoginDeadline bounds one password sign-in across every provider,
	// attempt and retry (auth.login_deadline); 0: no bound beyond each
	// provider's own timeouts.
	LoginDeadline time.Duration
	// OutageGrace is how long a session outlives its provider tokens while
	// the provider cannot be reached to renew them (auth.outage_grace), and
	// the provider's last confirmation of the account while it cannot be
	// reached to re-check it (LDAP): an outage does not sign people out; a
	// provider that answers "no" does.
	OutageGrace time.Duration
	// WithoutRefresh caps a session whose provider issued tokens that expire
	// but no refresh token to renew them (auth.session_without_refresh):
	// such a session lasts this long, not one access-token lifetime.
	WithoutRefresh time.Duration
	// LinkByVerifiedEmail names the providers whose first sign-in of a
	// person may join an existing account with the same, verified, email
	// (auth.link_by_verified_email); any other provider gets a new account
	// or, when the email is taken, account_link_required.
	LinkByVerifiedEmail []string
	// DirectoryProviders name the providers whose accounts are managed by
	// the organisation (local users file, LDAP, the organisation's auth
	// API): their emails count as verified unless they say otherwise. An
	// OIDC provider's email is verified only when it asserts
	// email_verified=true.
	DirectoryProviders []string
}

// Observer counts sign-in attempts per provider and result.
type Observer interface {
	LoginAttempt(provider, result string)
}

type noObserver struct{}

func (noObserver) LoginAttempt(string, string) {}

// Service signs users in and checks their sessions.
type Service struct {
	store     Store
	vault     Vault
	providers []Provider
	opts      Options
	limiter   *limiter
	log       *slog.Logger
	now       func() time.Time
	checked   sync.Map // user id → time.Time of the last account check
	confirmed sync.Map // confirmKey → time.Time the provider last vouched for the account
	jwts      jwtCache
	lookups   *rate.Limiter // provider token validations not answered by the cache
	flows     flowStore
}

// NewService builds the session service; providers are tried in order.
func NewService(store Store, vault Vault, providers []Provider, opts Options, log *slog.Logger) *Service {
	if opts.Observer == nil {
		opts.Observer = noObserver{}
	}
	return &Service{store: store, vault: vault, providers: providers, opts: opts,
		limiter: newLimiter(opts.LoginRatePerMinute), log: log.With("component", "sessions"), now: time.Now,
		jwts: newJWTCache(), flows: newFlowStore(), lookups: rate.NewLimiter(tokenLookupsPerSecond, 2*tokenLookupsPerSecond)}
}

// tokenLookupsPerSecond bounds how many bearer tokens the cache does not
// know are sent to providers for validation, server-wide.
const tokenLookupsPerSecond = 20

// Field limits: anything longer is refused before a provider is asked.
const (
	maxUsernameBytes = 320
	maxPasswordBytes = 1024
)

// Tokens is what a successful login or refresh returns.
type Tokens struct {
	AccessToken  string      `json:"access_token"`
	TokenType    string      `json:"token_type"`
	ExpiresIn    int64       `json:"expires_in"`
	RefreshToken string      `json:"refresh_token"`
	User         domain.User `json:"user"`
	Session      Info        `json:"session"`
}

// Info tells a client when its session ends, so a browser can renew it
// (POST /auth/refresh) before it does.
type Info struct {
	ExpiresAt     time.Time `json:"expires_at"`
	IdleExpiresAt time.Time `json:"idle_expires_at"`
}

// Login checks the credentials against each provider in turn and opens a
// session for the first that accepts them.
func (s *Service) Login(ctx context.Context, username, password, ip string) (_ *Tokens, err error) {
	username = strings.TrimSpace(username)
	obs := s.opts.Observer
	if username == "" || password == "" {
		obs.LoginAttempt("", "invalid_request")
		return nil, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest, "username and password are required")
	}
	if len(username) > maxUsernameBytes || len(password) > maxPasswordBytes {
		obs.LoginAttempt("", "invalid_request")
		return nil, domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest,
			"username (at most %d bytes) or password (at most %d bytes) is too long", maxUsernameBytes, maxPasswordBytes)
	}
	attempt, wait := s.limiter.begin(strings.ToLower(username), ip)
	if wait > 0 {
		obs.LoginAttempt("", "rate_limited")
		s.log.InfoContext(ctx, "login", "result", "rate_limited", "ip", ip)
		return nil, rateLimited(wait)
	}
	// Only a wrong password spends failure budget (ratelimit.go).
	defer func() { attempt.end(err) }()
	if s.opts.LoginDeadline > 0 {
		// Retries and a slow chain of providers end here, not after the
		// sum of their timeouts; an answer is "unavailable" then.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.LoginDeadline)
		defer cancel()
	}
	var unavailable error
	misconfigured := false
	for _, p := range s.providers {
		a, err := p.Auth(ctx)
		if err != nil {
			obs.LoginAttempt(p.Name(), "unavailable")
			unavailable = err
			continue
		}
		resp, err := a.Authenticate(ctx, username, password)
		switch {
		case err == nil:
			obs.LoginAttempt(p.Name(), "success")
			tok, err := s.open(ctx, p.Name(), resp)
			if err == nil {
				s.log.InfoContext(ctx, "login", "provider", p.Name(), "result", "success", "user_id", tok.User.ID, "ip", ip)
			}
			return tok, err
		case errors.Is(err, sdk.ErrInvalidCredentials):
			obs.LoginAttempt(p.Name(), "invalid_credentials")
			continue
		case errors.Is(err, sdk.ErrUnsupported):
			// The provider knows this person, but its answer cannot be used
			// (no email, a broken record): this account's problem, final.
			obs.LoginAttempt(p.Name(), "account_unusable")
			s.log.WarnContext(ctx, "sign-in refused: the provider's answer for this account is unusable", "provider", p.Name(), "error", err)
			return nil, errAccountUnusable(p.Name())
		case errors.Is(err, sdk.ErrMisconfigured):
			obs.LoginAttempt(p.Name(), "misconfigured")
			s.log.ErrorContext(ctx, "auth provider misconfigured: fix its settings", "provider", p.Name(), "error", err)
			misconfigured = true
			continue
		case errors.Is(err, sdk.ErrNotImplemented):
			// This provider does not check passwords (an IdP without the
			// password grant): as if it were not in the chain, so a wrong
			// password elsewhere stays a wrong password.
			s.log.DebugContext(ctx, "provider does not take passwords", "provider", p.Name(), "error", err)
			continue
		default:
			obs.LoginAttempt(p.Name(), "unavailable")
			s.log.WarnContext(ctx, "auth provider failed", "provider", p.Name(), "error", err)
			unavailable = err
		}
	}
	if misconfigured && unavailable == nil {
		// A provider that might have said yes could not be asked.
		s.log.InfoContext(ctx, "login", "result", "misconfigured", "ip", ip)
		return nil, errMisconfigured()
	}
	if unavailable != nil {
		s.log.InfoContext(ctx, "login", "result", "unavailable", "ip", ip)
		return nil, domain.Errorf(domain.ErrAuthUnavailable, domain.CodeAuthUnavailable,
			"sign-in is temporarily unavailable; please try again shortly")
	}
	s.log.InfoContext(ctx, "login", "result", "invalid_credentials", "ip", ip)
	return nil, domain.Errorf(domain.ErrInvalidCredentials, domain.CodeInvalidCredentials, "wrong username or password")
}

func (s *Service) open(ctx context.Context, provider string, resp *sdk.AuthenticateResponse) (*Tokens, error) {
	u, err := s.recordUser(ctx, provider, resp.GetUser())
	if err != nil {
		return nil, err
	}
	s.confirmed.Store(confirmKey(provider, u.ID), s.now()) // it just signed the person in
	return s.issue(ctx, u, provider, resp, time.Time{}, nil)
}

// recordUser finds the person a provider signed in by their identity at
// that provider (provider, subject), creating the account at first sign-in
// and updating name and extra info at later ones. An email another account
// already has is joined only as the store's SignInUser allows; otherwise the
// sign-in is refused with account_link_required.
func (s *Service) recordUser(ctx context.Context, provider string, ui *sdk.UserInfo) (domain.User, error) {
	email := strings.ToLower(strings.TrimSpace(ui.GetEmail()))
	if email == "" {
		email = strings.ToLower(ui.GetSubject())
	}
	if email == "" {
		return domain.User{}, fmt.Errorf("provider %s returned no email or subject", provider)
	}
	subject := ui.GetSubject()
	if subject == "" {
		subject = email
	}
	u, err := s.store.SignInUser(ctx, domain.SignIn{
		Identity: domain.Identity{Provider: provider, Subject: subject},
		Email:    email, EmailVerified: s.emailVerified(provider, ui.GetExtra()),
		Name: domain.PlainText(ui.GetName()), Extra: ui.GetExtra(), At: s.now().UTC(),
		LinkByVerifiedEmail: slices.Contains(s.opts.LinkByVerifiedEmail, provider),
	})
	if errors.Is(err, domain.ErrConflict) {
		// The subject is what `ocrbox users link` needs; it is the provider's
		// opaque account id, not a secret.
		s.log.WarnContext(ctx, "sign-in refused: the email belongs to another account", "provider", provider,
			"subject", subject, "result", "account_link_required")
	}
	if err != nil {
		return domain.User{}, fmt.Errorf("record user: %w", err)
	}
	return u, nil
}

// emailVerified reads the provider's email_verified claim; a directory
// provider that says nothing is trusted, anyone else is not.
func (s *Service) emailVerified(provider string, extra map[string]string) bool {
	if v, ok := extra["email_verified"]; ok {
		return v == "true"
	}
	return slices.Contains(s.opts.DirectoryProviders, provider)
}

// issue opens a session for u; the provider's tokens, if any, are sealed
// into it. A renewal passes the session it replaces, whose provider-token
// state (expiry, outage, renewal backoff) the new one keeps.
func (s *Service) issue(ctx context.Context, u domain.User, provider string, ptok *sdk.AuthenticateResponse, expires time.Time, prev *domain.Session) (*Tokens, error) {
	access, refresh := NewToken(), NewToken()
	now := s.now().UTC()
	if expires.IsZero() {
		expires = now.Add(s.opts.Lifetime)
	}
	idle := now.Add(s.opts.IdleTimeout)
	if idle.After(expires) {
		idle = expires
	}
	sess := domain.Session{TokenHash: Hash(access), UserID: u.ID, Provider: provider, CreatedAt: now,
		LastSeen: now, ExpiresAt: expires, IdleExpiry: idle,
		RefreshHash: Hash(refresh)}
	if err := s.sealProviderTokens(&sess, ptok); err != nil {
		return nil, err
	}
	if !sess.ProviderExpiry.IsZero() && ptok.GetRefreshToken() == "" {
		// Nothing can renew these tokens (an IdP that grants no refresh
		// token): the session lasts WithoutRefresh, not one token lifetime,
		// and the account is still re-checked every auth.user_recheck_interval.
		sess.ProviderExpiry = time.Time{}
		if limit := now.Add(s.opts.WithoutRefresh); s.opts.WithoutRefresh > 0 && limit.Before(sess.ExpiresAt) {
			sess.ExpiresAt = limit
		}
		if sess.IdleExpiry.After(sess.ExpiresAt) {
			sess.IdleExpiry = sess.ExpiresAt
		}
	}
	if prev != nil && len(prev.ProviderTokens) > 0 {
		sess.ProviderExpiry, sess.ProviderDown = prev.ProviderExpiry, prev.ProviderDown
		sess.RefreshFailures, sess.NextRefresh = prev.RefreshFailures, prev.NextRefresh
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	return &Tokens{AccessToken: access, TokenType: "bearer", RefreshToken: refresh,
		ExpiresIn: int64(s.opts.IdleTimeout.Seconds()), User: u,
		Session: Info{ExpiresAt: sess.ExpiresAt, IdleExpiresAt: sess.IdleExpiry}}, nil
}

// providerEnded reports a session whose provider tokens expired and may no
// longer carry it: at their expiry, or — while the provider could not be
// reached to renew them — OutageGrace later.
func (s *Service) providerEnded(sess domain.Session, now time.Time) bool {
	if sess.ProviderExpiry.IsZero() || !now.After(sess.ProviderExpiry) {
		return false
	}
	return !sess.ProviderDown || !now.Before(sess.ProviderExpiry.Add(s.opts.OutageGrace))
}

// SessionInfo returns when the session of an opaque token ends; false for
// provider JWTs and unknown tokens, which have no session here.
func (s *Service) SessionInfo(ctx context.Context, token string) (Info, bool) {
	if token == "" || looksLikeJWT(token) {
		return Info{}, false
	}
	sess, err := s.store.GetSession(ctx, Hash(token))
	if err != nil {
		return Info{}, false
	}
	return Info{ExpiresAt: sess.ExpiresAt, IdleExpiresAt: sess.IdleExpiry}, true
}

// Valid reports whether a token still opens a session, without sliding
// its idle expiry or asking the provider: long-lived responses (event
// streams) check it to end soon after a logout, an expiry or the
// account's deletion.
func (s *Service) Valid(ctx context.Context, token string) bool {
	if token == "" {
		return false
	}
	if looksLikeJWT(token) {
		_, err := s.authenticateProviderToken(ctx, token)
		return err == nil
	}
	sess, err := s.store.GetSession(ctx, Hash(token))
	if errors.Is(err, domain.ErrNotFound) && !looksLikeOurs(token) {
		_, err := s.authenticateProviderToken(ctx, token)
		return err == nil
	}
	if err != nil {
		return false
	}
	now := s.now().UTC()
	if now.After(sess.ExpiresAt) || now.After(sess.IdleExpiry) || s.providerEnded(sess, now) {
		return false
	}
	_, err = s.store.GetUser(ctx, sess.UserID)
	return err == nil
}

// Authenticate resolves a session token to its user, sliding the idle
// expiry forward.
func (s *Service) Authenticate(ctx context.Context, token string) (domain.User, error) {
	unauth := domain.Errorf(domain.ErrUnauthenticated, domain.CodeUnauthenticated, "sign in required: the session is missing, invalid or expired")
	if token == "" {
		return domain.User{}, unauth
	}
	if looksLikeJWT(token) {
		return s.authenticateProviderToken(ctx, token)
	}
	h := Hash(token)
	sess, err := s.store.GetSession(ctx, h)
	if errors.Is(err, domain.ErrNotFound) && !looksLikeOurs(token) {
		// An organisation API's opaque token: its provider says who it is.
		return s.authenticateProviderToken(ctx, token)
	}
	if err != nil {
		return domain.User{}, unauth
	}
	now := s.now().UTC()
	if now.After(sess.ExpiresAt) || now.After(sess.IdleExpiry) || s.providerEnded(sess, now) {
		_ = s.store.DeleteSession(ctx, h)
		return domain.User{}, unauth
	}
	// Write the sliding expiry at most once a minute, not on every request.
	if now.Sub(sess.LastSeen) > time.Minute {
		_, _ = s.store.UpdateSession(ctx, h, func(x *domain.Session) error {
			x.LastSeen, x.IdleExpiry = now, now.Add(s.opts.IdleTimeout)
			return nil
		})
	}
	u, err := s.store.GetUser(ctx, sess.UserID)
	if err != nil {
		return domain.User{}, unauth
	}
	if !s.accountAlive(ctx, sess, u, false) {
		_ = s.store.DeleteSession(ctx, h)
		return domain.User{}, unauth
	}
	return u, nil
}

// Refresh trades a refresh token for a new session; the old one ends.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	unauth := domain.Errorf(domain.ErrUnauthenticated, domain.CodeInvalidRefreshToken, "the refresh token is invalid or expired")
	if refreshToken == "" {
		return nil, unauth
	}
	sess, err := s.store.FindSessionByRefresh(ctx, Hash(refreshToken))
	if err != nil || s.now().After(sess.ExpiresAt) {
		return nil, unauth
	}
	if s.providerEnded(sess, s.now().UTC()) {
		_ = s.store.DeleteSession(ctx, sess.TokenHash)
		return nil, unauth
	}
	u, err := s.store.GetUser(ctx, sess.UserID)
	if err != nil {
		return nil, unauth
	}
	if !s.accountAlive(ctx, sess, u, true) {
		_ = s.store.DeleteSession(ctx, sess.TokenHash)
		return nil, unauth
	}
	if err := s.store.DeleteSession(ctx, sess.TokenHash); err != nil {
		return nil, err
	}
	ptok, err := s.openProviderTokens(sess)
	if err != nil {
		s.log.Warn("provider tokens unreadable; continuing without them", "user_id", u.ID, "error", err)
	}
	// The new session keeps the old one's absolute end: renewing slides the
	// idle expiry, never auth.session_lifetime. It also keeps the provider
	// tokens' own state (expiry, outage, renewal backoff): renewing the
	// ocrbox session must not free it from its provider.
	return s.issue(ctx, u, sess.Provider, ptok, sess.ExpiresAt, &sess)
}

// Logout ends the session of token, deletes its stored provider tokens
// and revokes them at the provider where it supports that. For a session
// of an IdP with an end_session_endpoint it returns the URL that ends the
// IdP's own session too, sending the browser back to postLogoutURI.
func (s *Service) Logout(ctx context.Context, token, postLogoutURI string) (endSessionURL string, err error) {
	h := Hash(token)
	sess, err := s.store.GetSession(ctx, h)
	if err != nil {
		return "", nil // already gone
	}
	if err := s.store.DeleteSession(ctx, h); err != nil {
		return "", err
	}
	if ptok, err := s.openProviderTokens(sess); err == nil && ptok != nil {
		bg := context.WithoutCancel(ctx)
		s.revoke(bg, sess.Provider, ptok)
		endSessionURL = s.endSessionURL(bg, sess.Provider, ptok.GetIdToken(), postLogoutURI)
	}
	return endSessionURL, nil
}

// endSessionURL is where a browser ends its session at the IdP too
// (OpenID Connect RP-Initiated Logout 1.0), "" when the provider offers no
// end_session_endpoint or no ID token identifies the session there.
func (s *Service) endSessionURL(ctx context.Context, provider, idToken, postLogoutURI string) string {
	p := s.provider(provider)
	if p == nil || idToken == "" {
		return ""
	}
	a, err := p.Auth(ctx)
	if err != nil {
		return ""
	}
	info, err := a.Info(ctx)
	if err != nil || info.GetEndSessionEndpoint() == "" {
		return ""
	}
	u, err := url.Parse(info.GetEndSessionEndpoint())
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	q := u.Query()
	q.Set("id_token_hint", idToken)
	if postLogoutURI != "" {
		q.Set("post_logout_redirect_uri", postLogoutURI)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Hash is how tokens are stored: hex SHA-256.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewToken returns 256 random bits, base64url-encoded: session, refresh,
// CSRF and login-state tokens.
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return base64.RawURLEncoding.EncodeToString(b)
}
