package idp

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestNodeOIDC drives the helper end to end: the browser code flow with
// PKCE and consent (offline_access), the counters, a refresh, a key
// rotation and an outage.
func TestNodeOIDC(t *testing.T) {
	p := StartNodeOIDC(t, NodeOIDCOptions{Accounts: []NodeOIDCAccount{
		{Subject: "ada-1", Email: "ada@example.org", Verified: true, Name: "Ada", Password: "pw-ada"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conf := oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: p.RedirectURI(),
		Endpoint: oauth2.Endpoint{AuthURL: p.Issuer + "/auth", TokenURL: p.Issuer + "/token"},
		Scopes:   []string{"openid", "email", "offline_access"}}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "consent"))

	if _, err := BrowserLogin(ctx, authURL, "ada@example.org", "wrong"); err != ErrLoginRejected {
		t.Fatalf("wrong password: %v, want ErrLoginRejected", err)
	}
	cb, err := BrowserLogin(ctx, authURL, "ada@example.org", "pw-ada")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(cb)
	code := u.Query().Get("code")
	if code == "" || u.Query().Get("state") != "st" || u.Query().Get("iss") != p.Issuer {
		t.Fatalf("callback %s", cb)
	}
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access and prompt=consent")
	}
	c, err := p.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if c.Codes[code] != 1 || c.Grants["authorization_code"] != 1 || c.LiveRefreshTokens != 1 || len(c.Kids) != 1 {
		t.Fatalf("counts after one exchange: %+v", c)
	}
	// A code used twice is refused, and the provider revokes what the
	// first exchange issued (RFC 6749 §4.1.2).
	if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil {
		t.Fatal("a code was exchanged twice")
	}
	if c, _ := p.Counts(); c.Codes[code] != 2 || c.LiveRefreshTokens != 0 {
		t.Fatalf("counts after a second exchange of the code: %+v", c)
	}
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Fatal("the refresh token outlived the reuse of its code")
	}
	// A fresh login for the rest.
	verifier = oauth2.GenerateVerifier()
	authURL = conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "consent"))
	if cb, err = BrowserLogin(ctx, authURL, "ada@example.org", "pw-ada"); err != nil {
		t.Fatal(err)
	}
	u, _ = url.Parse(cb)
	if tok, err = conf.Exchange(ctx, u.Query().Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatal(err)
	}

	if err := p.RotateKeys(); err != nil {
		t.Fatal(err)
	}
	c2, _ := p.Counts()
	if len(c2.Kids) != 2 || c2.Kids[1] != c.Kids[0] {
		t.Fatalf("kids after rotation: %v (before %v)", c2.Kids, c.Kids)
	}
	// Everything issued before the rotation is still good.
	tok2, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh after rotation: %v", err)
	}

	if err := p.Down(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(p.Issuer + "/.well-known/openid-configuration"); err == nil {
		t.Fatal("the issuer answered while down")
	}
	if err := p.Up(); err != nil {
		t.Fatal(err)
	}
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token(); err != nil {
		t.Fatalf("refresh after the outage: %v", err)
	}
	// Revocation (RFC 7009) of the refresh token.
	form := url.Values{"token": {tok2.RefreshToken}, "token_type_hint": {"refresh_token"}}
	req, _ := http.NewRequest(http.MethodPost, p.Issuer+"/token/revocation", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(p.ClientID, p.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %v %v", err, resp)
	}
	resp.Body.Close()
	c3, _ := p.Counts()
	if c3.Revocations != 1 || c3.LiveRefreshTokens != 0 {
		t.Fatalf("counts after revocation: %+v", c3)
	}
}
