package idp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// DexBrowserLogin plays the browser in an authorization-code login at Dex:
// it opens authURL, follows Dex to the local connector's login form, posts
// username (Dex's "login" field, the email) and password, and follows the
// redirects until Dex sends the browser to the client's redirect_uri (taken
// from authURL). It returns that callback URL, with code and state,
// without requesting it. Any other outcome fails the test.
func DexBrowserLogin(t testing.TB, authURL, username, password string) (callbackURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cb, err := BrowserLogin(ctx, authURL, username, password)
	if err != nil {
		t.Fatalf("dex browser login: %v", err)
	}
	return cb
}

// ErrLoginRejected is returned by BrowserLogin when Dex shows its login
// form again after the password was posted.
var ErrLoginRejected = errors.New("dex showed the login form again: wrong username or password")

// BrowserLogin is DexBrowserLogin returning an error instead of failing a
// test, e.g. to check that a wrong password is refused.
func BrowserLogin(ctx context.Context, authURL, username, password string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", fmt.Errorf("parse auth URL: %w", err)
	}
	redirectURI := u.Query().Get("redirect_uri")
	if redirectURI == "" {
		return "", errors.New("auth URL has no redirect_uri")
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return "", err
	}
	var callback string
	client := &http.Client{
		Jar:     jar,
		Timeout: 10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if isRedirectTo(req.URL, redirectURI) {
				callback = req.URL.String()
				return http.ErrUseLastResponse
			}
			if len(via) >= 10 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}

	page, pageURL, err := fetch(ctx, client, http.MethodGet, authURL, nil)
	if callback != "" || err != nil {
		return callback, err
	}
	for step := 0; step < 3; step++ {
		form, ok := findForm(page)
		if !ok {
			return "", fmt.Errorf("no form on %s:\n%s", pageURL, truncate(page, 2000))
		}
		vals := form.hidden
		switch {
		case form.fields["login"] && form.fields["password"]:
			if step > 0 {
				return "", ErrLoginRejected
			}
			vals.Set("login", username)
			vals.Set("password", password)
		case form.fields["approval"]:
			// Approval screen (when skipApprovalScreen is off).
			vals.Set("approval", "approve")
		default:
			return "", fmt.Errorf("unexpected form on %s:\n%s", pageURL, truncate(page, 2000))
		}
		action, err := pageURL.Parse(form.action)
		if err != nil {
			return "", fmt.Errorf("form action %q: %w", form.action, err)
		}
		page, pageURL, err = fetch(ctx, client, http.MethodPost, action.String(), vals)
		if callback != "" || err != nil {
			return callback, err
		}
	}
	return "", fmt.Errorf("no redirect to %s; last page %s:\n%s", redirectURI, pageURL, truncate(page, 2000))
}

// fetch requests url (following redirects) and returns the final page and
// its URL; a final answer other than 200 (or 401, Dex's status for a
// login form shown again after a wrong password) is an error. When CheckRedirect stopped
// at the redirect URI, the caller sees callback set and ignores the rest.
func fetch(ctx context.Context, c *http.Client, method, target string, form url.Values) (string, *url.URL, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return "", nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", nil, err
	}
	if resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther {
		return "", resp.Request.URL, nil // stopped at the redirect URI
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized {
		return "", nil, fmt.Errorf("%s %s: %s\n%s", method, resp.Request.URL, resp.Status, truncate(string(data), 2000))
	}
	return string(data), resp.Request.URL, nil
}

// isRedirectTo reports whether u is redirectURI plus a query.
func isRedirectTo(u *url.URL, redirectURI string) bool {
	r, err := url.Parse(redirectURI)
	if err != nil {
		return false
	}
	return u.Scheme == r.Scheme && u.Host == r.Host && u.Path == r.Path
}

// htmlForm is the first form on a page: its action, the names of its
// inputs, and the values of its hidden inputs.
type htmlForm struct {
	action string
	fields map[string]bool
	hidden url.Values
}

func findForm(page string) (htmlForm, bool) {
	f := htmlForm{fields: map[string]bool{}, hidden: url.Values{}}
	found := false
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return f, found
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			attr := func(k string) string {
				for _, a := range tok.Attr {
					if a.Key == k {
						return a.Val
					}
				}
				return ""
			}
			switch tok.Data {
			case "form":
				if found {
					return f, true // first form only
				}
				found = true
				f.action = attr("action")
			case "input", "button":
				name := attr("name")
				if !found || name == "" {
					continue
				}
				f.fields[name] = true
				if attr("type") == "hidden" {
					f.hidden.Set(name, attr("value"))
				}
			}
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
