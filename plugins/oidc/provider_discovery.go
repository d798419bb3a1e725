package oidc

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// client is one configuration's connection to the IdP. Configure replaces
// it whole, which also drops the cached discovery.
type client struct {
	s    settings
	http *http.Client

	// discoverLock admits one discovery at a time (a channel, so waiting
	// callers still honour their ctx); disc caches the first success.
	discoverLock chan struct{}
	disc         atomic.Pointer[discovery]
}

// discovery is what the IdP's discovery document told us, ready to use.
type discovery struct {
	// oauth has no RedirectURL; the browser flow sets it per call.
	oauth         oauth2.Config
	verifier      *oidc.IDTokenVerifier
	keys          *keySet
	userinfoURL   string
	revocationURL string
	// passwordGrant: the discovery document lists the resource-owner
	// password grant. Omitted grant_types_supported means
	// ["authorization_code", "implicit"] (OpenID Connect Discovery 1.0 §3).
	passwordGrant bool
	// issParameter: the IdP puts its issuer in every authorization
	// response (RFC 9207), so a response without it is refused.
	issParameter bool
	// endSession is the IdP's RP-Initiated Logout endpoint, "" for none.
	endSession string
}

// discoveryExtra are the discovery fields go-oidc does not expose.
type discoveryExtra struct {
	JWKSURI           string   `json:"jwks_uri"`
	RevocationURL     string   `json:"revocation_endpoint"`
	TokenAuthMethods  []string `json:"token_endpoint_auth_methods_supported"`
	IDTokenSigningAlg []string `json:"id_token_signing_alg_values_supported"`
	GrantTypes        []string `json:"grant_types_supported"`
	ISSParameter      bool     `json:"authorization_response_iss_parameter_supported"`
	EndSession        string   `json:"end_session_endpoint"`
}

// signingAlgs are the asymmetric algorithms accepted for tokens. "none" and
// the HMAC family are never accepted: an HS256 token "signed" with the
// IdP's public key is the classic forgery.
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.EdDSA,
}

func newClient(s settings) *client {
	return &client{s: s, http: s.httpClient(), discoverLock: make(chan struct{}, 1)}
}

// callContext bounds one provider call by the configured timeout and
// routes go-oidc's and oauth2's requests through our HTTP client.
func (c *client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, c.s.timeout)
	return oidc.ClientContext(ctx, c.http), cancel
}

// discover returns the cached discovery, fetching the document the first
// time. Failures are not cached: the next call tries again (the host's
// circuit breaker keeps that from hammering a down IdP).
func (c *client) discover(ctx context.Context) (*discovery, error) {
	if d := c.disc.Load(); d != nil {
		return d, nil
	}
	select {
	case c.discoverLock <- struct{}{}:
		defer func() { <-c.discoverLock }()
	case <-ctx.Done():
		return nil, fmt.Errorf("discover %s: %w", c.s.issuer, unavailable(ctx.Err()))
	}
	if d := c.disc.Load(); d != nil {
		return d, nil
	}
	p, err := oidc.NewProvider(ctx, c.s.issuer)
	if err != nil {
		// Down, slow, 5xx, not an OIDC issuer, or an issuer mismatch: in
		// every case no one can sign in until an operator or the IdP
		// fixes it.
		return nil, fmt.Errorf("discover %s: %w", c.s.issuer, unavailable(err))
	}
	var extra discoveryExtra
	if err := p.Claims(&extra); err != nil {
		return nil, fmt.Errorf("discover %s: %w", c.s.issuer, unavailable(err))
	}
	if extra.JWKSURI == "" {
		return nil, fmt.Errorf("discover %s: %w: discovery document has no jwks_uri", c.s.issuer, errUnavailable)
	}
	algs := intersect(extra.IDTokenSigningAlg, signingAlgs)
	if len(algs) == 0 {
		algs = []string{oidc.RS256} // the one algorithm OIDC makes mandatory
	}
	// The key set outlives this call: it must not inherit ctx's deadline.
	keys := newKeySet(oidc.NewRemoteKeySet(oidc.ClientContext(context.WithoutCancel(ctx), c.http), extra.JWKSURI))
	d := &discovery{
		oauth: oauth2.Config{
			ClientID:     c.s.clientID,
			ClientSecret: c.s.clientSecret,
			Endpoint:     p.Endpoint(),
			Scopes:       c.s.scopes,
		},
		verifier: oidc.NewVerifier(c.s.issuer, keys, &oidc.Config{
			ClientID:             c.s.clientID,
			SupportedSigningAlgs: algs,
		}),
		keys:          keys,
		userinfoURL:   p.UserInfoEndpoint(),
		revocationURL: extra.RevocationURL,
		passwordGrant: slices.Contains(extra.GrantTypes, "password"),
		issParameter:  extra.ISSParameter,
		endSession:    extra.EndSession,
	}
	d.oauth.Endpoint.AuthStyle = authStyle(c.s.clientSecret, extra.TokenAuthMethods)
	c.disc.Store(d)
	return d, nil
}

// authStyle picks how the client authenticates at the token endpoint. An
// explicit choice also stops oauth2 from auto-detecting by trial and error,
// which would send a wrong password to the IdP twice (and count twice
// towards its lockout).
func authStyle(secret string, methods []string) oauth2.AuthStyle {
	switch {
	case secret == "":
		return oauth2.AuthStyleInParams // public client: client_id in the form
	case len(methods) == 0, slices.Contains(methods, "client_secret_basic"):
		return oauth2.AuthStyleInHeader // the spec's default
	case slices.Contains(methods, "client_secret_post"):
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

func intersect(have, allowed []string) []string {
	var out []string
	for _, a := range have {
		if slices.Contains(allowed, a) {
			out = append(out, a)
		}
	}
	return out
}
