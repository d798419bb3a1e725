package sessions

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// flowTTL bounds how long a browser may take at the identity provider.
const flowTTL = 10 * time.Minute

// flow is one browser login in progress: the PKCE verifier and nonce stay
// on the server; the browser carries only the state (in a cookie and in
// the IdP round trip).
type flow struct {
	provider    string
	verifier    string
	nonce       string
	redirectURI string
	returnTo    string
	expires     time.Time
}

type flowStore struct {
	mu    sync.Mutex
	flows map[string]flow
}

func newFlowStore() flowStore { return flowStore{flows: map[string]flow{}} }

func (f *flowStore) put(state string, fl flow) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	for k, v := range f.flows {
		if now.After(v.expires) {
			delete(f.flows, k)
		}
	}
	f.flows[state] = fl
}

// take returns and forgets a flow: a state works once.
func (f *flowStore) take(state string) (flow, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl, ok := f.flows[state]
	delete(f.flows, state)
	if !ok || time.Now().After(fl.expires) {
		return flow{}, false
	}
	return fl, true
}

// BrowserProvider describes a provider offering a browser login.
type BrowserProvider struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
}

// BrowserProviders lists the providers with a browser (OIDC) login, for the
// sign-in page's "Sign in with …" buttons.
func (s *Service) BrowserProviders(ctx context.Context) []BrowserProvider {
	var out []BrowserProvider
	for _, p := range s.providers {
		a, err := p.Auth(ctx)
		if err != nil {
			continue
		}
		info, err := a.Info(ctx)
		if err != nil || !info.GetSupportsBrowserLogin() {
			continue
		}
		name := info.GetDisplayName()
		if name == "" {
			name = p.Name()
		}
		out = append(out, BrowserProvider{Name: p.Name(), DisplayName: name})
	}
	return out
}

// BeginBrowserLogin starts an authorization-code login with PKCE at the
// named provider (empty: the first that offers one). It returns the IdP URL
// to redirect to and the state the browser must bring back.
func (s *Service) BeginBrowserLogin(ctx context.Context, provider, redirectURI, returnTo string) (authURL, state string, err error) {
	if provider == "" {
		if bp := s.BrowserProviders(ctx); len(bp) > 0 {
			provider = bp[0].Name
		}
	}
	p := s.provider(provider)
	if p == nil {
		return "", "", domain.Errorf(domain.ErrNotFound, domain.CodeUnknownProvider, "no browser sign-in provider %q is configured", provider)
	}
	a, err := p.Auth(ctx)
	if err != nil {
		return "", "", err
	}
	state, verifier, nonce := NewToken(), NewToken(), NewToken()
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	authURL, err = a.BeginBrowserLogin(ctx, &sdk.BeginBrowserLoginRequest{
		RedirectUri: redirectURI, State: state, CodeChallenge: challenge, Nonce: nonce})
	if err != nil {
		return "", "", mapProviderErr(err)
	}
	s.flows.put(state, flow{provider: provider, verifier: verifier, nonce: nonce,
		redirectURI: redirectURI, returnTo: returnTo, expires: time.Now().Add(flowTTL)})
	return authURL, state, nil
}

// CompleteBrowserLogin finishes a browser login: state must match the
// cookie the browser carries (cookieState) and a flow begun here.
func (s *Service) CompleteBrowserLogin(ctx context.Context, state, cookieState, code, iss string) (*Tokens, string, error) {
	bad := domain.Errorf(domain.ErrUnauthenticated, domain.CodeInvalidLoginState,
		"the sign-in attempt expired or did not start here; please sign in again")
	if state == "" || code == "" || state != cookieState {
		return nil, "", bad
	}
	fl, ok := s.flows.take(state)
	if !ok {
		return nil, "", bad
	}
	p := s.provider(fl.provider)
	if p == nil {
		return nil, "", bad
	}
	a, err := p.Auth(ctx)
	if err != nil {
		return nil, "", err
	}
	resp, err := a.CompleteBrowserLogin(ctx, &sdk.CompleteBrowserLoginRequest{
		Code: code, CodeVerifier: fl.verifier, RedirectUri: fl.redirectURI, Nonce: fl.nonce, Iss: iss})
	if err != nil {
		if errors.Is(err, sdk.ErrMisconfigured) {
			s.opts.Observer.LoginAttempt(fl.provider, "misconfigured")
			s.log.ErrorContext(ctx, "auth provider misconfigured: fix its settings", "provider", fl.provider, "error", err)
		}
		return nil, "", mapProviderErr(err)
	}
	tok, err := s.open(ctx, fl.provider, resp)
	if err != nil {
		return nil, "", err
	}
	s.log.Info("login", "provider", fl.provider, "result", "success", "flow", "browser")
	return tok, fl.returnTo, nil
}

func mapProviderErr(err error) error {
	switch {
	case errors.Is(err, sdk.ErrInvalidCredentials), errors.Is(err, sdk.ErrBadImage):
		return domain.Errorf(domain.ErrInvalidCredentials, domain.CodeInvalidCredentials, "the identity provider refused the sign-in")
	case errors.Is(err, sdk.ErrNotImplemented):
		return domain.Errorf(domain.ErrNotFound, domain.CodeUnknownProvider, "this provider has no browser sign-in")
	case errors.Is(err, sdk.ErrUnavailable):
		return domain.Errorf(domain.ErrAuthUnavailable, domain.CodeAuthUnavailable, "sign-in is temporarily unavailable; please try again shortly")
	case errors.Is(err, sdk.ErrMisconfigured):
		return errMisconfigured()
	case errors.Is(err, sdk.ErrUnsupported):
		return errAccountUnusable("the identity provider")
	}
	return fmt.Errorf("browser login: %w", err)
}

// errAccountUnusable: the provider signed the person in, but what it says
// about them cannot be used (no email, a broken record).
func errAccountUnusable(provider string) error {
	return domain.Errorf(domain.ErrForbidden, domain.CodeAccountUnusable,
		"your account at %s cannot be used here: its record lacks what ocrbox needs (such as an email address); please ask your administrator", provider)
}

// errMisconfigured is what people are told when a provider refuses this
// server itself (client secret, issuer, audience): not their fault, and not
// something waiting fixes.
func errMisconfigured() error {
	return domain.Errorf(domain.ErrAuthUnavailable, domain.CodeAuthMisconfigured,
		"sign-in through this provider is misconfigured on this server; the administrator has been told")
}
