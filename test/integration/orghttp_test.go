package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// orgAPI is a fake organisation auth API (the edge we cannot run here):
// the http provider plugin inside the real ocrbox binary talks to it. It
// speaks one of two shapes — the provider's default (orgDefaultShape) or a
// nested one with other paths, field names and answer paths
// (orgNestedShape) — so the real binary is tried with its defaults and
// with the mapping settings. It counts what it is sent per login name and
// per endpoint, keeps track of the renew tokens still live, and can fail
// the ways an API fails.
type orgAPI struct {
	shape orgShape
	srv   *httptest.Server
	opts  orgOptions

	mu     sync.Mutex
	mode   string // up | flaky (503 on every second call) | maintenance (503) | down (connections closed)
	renew  string // how renewals are answered: ok | down (502) | refuse (401)
	calls  int
	n      int
	logins map[string]int // login requests per login name (lower-cased), whatever the answer
	// renewRequests counts renewal requests answered, renewals those that
	// issued new tokens.
	renewRequests, renewals, revocations int
	live                                 map[string]bool // renew tokens issued and neither renewed nor revoked
	issued                               []string        // every secret handed out, to grep the logs for
}

// orgOptions set up an orgAPI.
type orgOptions struct {
	// ttl is the lifetime of the tokens it issues, in seconds.
	ttl      int
	accounts []orgAccount
	// noRenewToken: answers carry no renew (refresh) token.
	noRenewToken bool
	// clientSecret, when set, is the HTTP basic password the API wants of
	// ocrbox (user orgClientUser) on every request without a person's
	// bearer token; a request without it gets 401 invalid_client with a
	// Basic challenge, as an API that knows its clients answers.
	clientSecret string
}

const orgClientUser = "ocrbox"

// orgAccount is one person at the organisation's API.
type orgAccount struct {
	email, password, id, name, department string
	// verified is what the answer says of the email ("true", "false"), or
	// "" when it says nothing.
	verified string
}

// orgShape is how an API names its endpoints and fields.
type orgShape struct {
	// base is appended to the server's URL to make external_auth_api_url;
	// login, renew and revoke are paths under it ("" revoke: none).
	base, login, renew, revoke string
	// Request fields.
	loginField, secretField, renewField, revokeField string
	// answer is a login answer (acct set) or a renewal's (acct nil).
	answer func(access, renew string, ttl int, acct *orgAccount) map[string]any
	// env configures the http provider for this shape, beyond its URL,
	// which urlVar names.
	env    []string
	urlVar string
}

// orgDefaultShape is docs/auth-http.md's default: POST /auth/login
// {"username","password"}, tokens at the top level, the person under user.
var orgDefaultShape = orgShape{
	login: "/auth/login", renew: "/auth/refresh",
	loginField: "username", secretField: "password", renewField: "refresh_token",
	answer: func(access, renew string, ttl int, acct *orgAccount) map[string]any {
		a := map[string]any{"access_token": access, "expires_in": ttl}
		if renew != "" {
			a["refresh_token"] = renew
		}
		if acct != nil {
			a["user"] = map[string]any{"id": acct.id, "email": acct.email, "name": acct.name, "department": acct.department}
		}
		return a
	},
	// The name of the original specification.
	urlVar: "EXTERNAL_AUTH_API_URL",
}

// orgNestedShape is an API shaped nothing like the default, told to ocrbox
// with the http provider's settings: POST /v2/sessions {"login","secret"},
// renewal POST /v2/sessions/renew {"renew"}, revocation POST
// /v2/sessions/revoke {"renew"}, answers under data.tokens (the lifetime a
// string) and data.profile, no validate or userinfo endpoint.
var orgNestedShape = orgShape{
	base: "/v2", login: "/sessions", renew: "/sessions/renew", revoke: "/sessions/revoke",
	loginField: "login", secretField: "secret", renewField: "renew", revokeField: "renew",
	answer: func(access, renew string, ttl int, acct *orgAccount) map[string]any {
		tokens := map[string]any{"access": access, "ttl": fmt.Sprint(ttl)}
		if renew != "" {
			tokens["renew"] = renew
		}
		data := map[string]any{"tokens": tokens}
		if acct != nil {
			p := map[string]any{"uid": acct.id, "mail": acct.email, "display_name": acct.name, "department": acct.department}
			if acct.verified != "" {
				p["email_verified"] = acct.verified == "true"
			}
			data["profile"] = p
		}
		return map[string]any{"status": "ok", "data": data}
	},
	urlVar: "OCRBOX_PLUGINS_HTTP_EXTERNAL_AUTH_API_URL",
	env: []string{
		"OCRBOX_PLUGINS_HTTP_EXTERNAL_AUTH_ENDPOINT=/sessions",
		"OCRBOX_PLUGINS_HTTP_USERNAME_FIELD=login",
		"OCRBOX_PLUGINS_HTTP_PASSWORD_FIELD=secret",
		"OCRBOX_PLUGINS_HTTP_REFRESH_ENDPOINT=/sessions/renew",
		"OCRBOX_PLUGINS_HTTP_REFRESH_FIELD=renew",
		"OCRBOX_PLUGINS_HTTP_REVOKE_ENDPOINT=/sessions/revoke",
		"OCRBOX_PLUGINS_HTTP_REVOKE_FIELD=renew",
		"OCRBOX_PLUGINS_HTTP_VALIDATE_ENDPOINT=",
		"OCRBOX_PLUGINS_HTTP_USERINFO_ENDPOINT=",
		"OCRBOX_PLUGINS_HTTP_MAP_ACCESS_TOKEN=data.tokens.access",
		"OCRBOX_PLUGINS_HTTP_MAP_REFRESH_TOKEN=data.tokens.renew",
		"OCRBOX_PLUGINS_HTTP_MAP_ID_TOKEN=",
		"OCRBOX_PLUGINS_HTTP_MAP_EXPIRES_IN=data.tokens.ttl",
		"OCRBOX_PLUGINS_HTTP_MAP_EMAIL=data.profile.mail",
		"OCRBOX_PLUGINS_HTTP_MAP_NAME=data.profile.display_name",
		"OCRBOX_PLUGINS_HTTP_MAP_SUBJECT=data.profile.uid",
		// What the API says of the email reaches the linking rules as
		// email_verified; said nothing, the organisation's word counts.
		"OCRBOX_PLUGINS_HTTP_MAP_EXTRA=email_verified=data.profile.email_verified, data.profile.department",
		"OCRBOX_PLUGINS_HTTP_DISPLAY_NAME=Example Org SSO",
	},
}

// startOrgAPI serves a fake API of shape on 127.0.0.1 until the test ends.
func startOrgAPI(t testing.TB, shape orgShape, opts orgOptions) *orgAPI {
	a := &orgAPI{shape: shape, opts: opts, mode: "up", renew: "ok", logins: map[string]int{}, live: map[string]bool{}}
	a.srv = httptest.NewServer(a)
	t.Cleanup(a.srv.Close)
	return a
}

// env configures ocrbox's http provider for this API; clientSecret is the
// basic-auth password put into its URL ("" none).
func (a *orgAPI) env(clientSecret string) []string {
	u, _ := url.Parse(a.srv.URL + a.shape.base)
	if clientSecret != "" {
		u.User = url.UserPassword(orgClientUser, clientSecret)
	}
	return append([]string{a.shape.urlVar + "=" + u.String()}, a.shape.env...)
}

func (a *orgAPI) setMode(m string)  { a.mu.Lock(); a.mode = m; a.mu.Unlock() }
func (a *orgAPI) setRenew(m string) { a.mu.Lock(); a.renew = m; a.mu.Unlock() }

// loginsOf is how many login requests named login.
func (a *orgAPI) loginsOf(login string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.logins[strings.ToLower(login)]
}

// counts are the renewal requests answered, the renewals that issued new
// tokens, the revocations and the renew tokens still live.
func (a *orgAPI) counts() (renewRequests, renewals, revocations, live int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.renewRequests, a.renewals, a.revocations, len(a.live)
}

// secrets is every token the API handed out.
func (a *orgAPI) secrets() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.issued...)
}

// failure is how the API fails this call: "" (it does not), "503" or
// "down".
func (a *orgAPI) failure() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls++
	switch {
	case a.mode == "down":
		return "down"
	case a.mode == "maintenance", a.mode == "flaky" && a.calls%2 == 1:
		return "503"
	}
	return ""
}

// issue hands out new tokens; call with a.mu held.
func (a *orgAPI) issue(acct *orgAccount) map[string]any {
	a.n++
	access, renew := fmt.Sprintf("org-access-SECRET-%d", a.n), ""
	a.issued = append(a.issued, access)
	if !a.opts.noRenewToken {
		renew = fmt.Sprintf("org-renew-SECRET-%d", a.n)
		a.issued = append(a.issued, renew)
		a.live[renew] = true
	}
	return a.shape.answer(access, renew, a.opts.ttl, acct)
}

func (a *orgAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch a.failure() {
	case "down": // as a dead host or network: no answer at all
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	case "503":
		http.Error(w, `{"error":"maintenance"}`, http.StatusServiceUnavailable)
		return
	}
	var body map[string]string
	_ = json.NewDecoder(r.Body).Decode(&body)
	path := strings.TrimPrefix(r.URL.Path, a.shape.base)
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.Method != http.MethodPost || (path != a.shape.login && path != a.shape.renew && (a.shape.revoke == "" || path != a.shape.revoke)) {
		http.NotFound(w, r)
		return
	}
	if path == a.shape.login {
		// Counted before anything is checked: a login the API refuses was
		// still sent.
		a.logins[strings.ToLower(body[a.shape.loginField])]++
	}
	if user, pass, _ := r.BasicAuth(); a.opts.clientSecret != "" && (user != orgClientUser || pass != a.opts.clientSecret) {
		w.Header().Set("WWW-Authenticate", `Basic realm="org auth api"`)
		answerJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	switch path {
	case a.shape.login:
		for i, acct := range a.opts.accounts {
			if strings.EqualFold(acct.email, body[a.shape.loginField]) && acct.password == body[a.shape.secretField] {
				answerJSON(w, http.StatusOK, a.issue(&a.opts.accounts[i]))
				return
			}
		}
		answerJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid credentials"})
	case a.shape.renew:
		a.renewRequests++
		switch token := body[a.shape.renewField]; {
		case a.renew == "down":
			http.Error(w, `{"error":"renewal backend down"}`, http.StatusBadGateway)
		case a.renew == "refuse" || !a.live[token]:
			answerJSON(w, http.StatusUnauthorized, map[string]string{"error": "renew token revoked"})
		default:
			delete(a.live, token) // rotated: the old token is spent
			a.renewals++
			answerJSON(w, http.StatusOK, a.issue(nil))
		}
	case a.shape.revoke:
		a.revocations++
		delete(a.live, body[a.shape.revokeField])
		w.WriteHeader(http.StatusNoContent)
	}
}

func answerJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
