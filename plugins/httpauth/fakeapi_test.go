package httpauth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeAPI is an organisation's auth API with the default request and answer
// shapes of docs/auth-http.md. faults replace the handler of one path, for
// the failure cases. Its error bodies echo what they were sent, so tests can
// check that no password or token reaches an error message.
type fakeAPI struct {
	srv *httptest.Server

	mu       sync.Mutex
	users    map[string]fakeUser // by username
	access   map[string]string   // live access token → username
	refresh  map[string]string   // live refresh token → username
	next     int
	requests []fakeRequest
	faults   map[string]http.HandlerFunc
}

type fakeUser struct {
	id       int64
	email    string
	name     string
	password string
	dept     string
	roles    []string
}

// fakeRequest is what the API received.
type fakeRequest struct {
	method, path, auth, contentType string
	query                           url.Values
	body                            map[string]any
}

const (
	adaPassword = "analytical-Engine-1843"
	evePassword = "eve-Password-000"
)

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	a := &fakeAPI{
		users: map[string]fakeUser{
			"ada": {id: 1815, email: "ada@example.org", name: "Ada Lovelace", password: adaPassword,
				dept: "Analytics", roles: []string{"ocr-user", "admin"}},
		},
		access:  map[string]string{},
		refresh: map[string]string{},
		faults:  map[string]http.HandlerFunc{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/login", a.login)
	mux.HandleFunc("/auth/validate", a.validate)
	mux.HandleFunc("POST /auth/refresh", a.refreshTokens)
	mux.HandleFunc("GET /auth/userinfo", a.userinfo)
	mux.HandleFunc("POST /auth/revoke", a.revoke)
	mux.HandleFunc("GET /auth/lookup", a.lookup)
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.record(r)
		a.mu.Lock()
		fault := a.faults[r.URL.Path]
		a.mu.Unlock()
		if fault != nil {
			fault(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// settings are the provider settings for this API, plus extra.
func (a *fakeAPI) settings(extra ...string) map[string]string {
	s := map[string]string{keyAPIURL: a.srv.URL}
	for i := 0; i+1 < len(extra); i += 2 {
		s[extra[i]] = extra[i+1]
	}
	return s
}

func (a *fakeAPI) setFault(path string, h http.HandlerFunc) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.faults[path] = h
}

// record keeps the request, reading its JSON body (put back for the handler).
func (a *fakeAPI) record(r *http.Request) {
	fr := fakeRequest{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization"),
		contentType: r.Header.Get("Content-Type"), query: r.URL.Query()}
	if b, err := io.ReadAll(r.Body); err == nil && len(b) > 0 {
		_ = json.Unmarshal(b, &fr.body)
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = append(a.requests, fr)
}

// last returns the last request to path.
func (a *fakeAPI) last(t *testing.T, path string) fakeRequest {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.requests) - 1; i >= 0; i-- {
		if a.requests[i].path == path {
			return a.requests[i]
		}
	}
	t.Fatalf("no request to %s", path)
	return fakeRequest{}
}

func (a *fakeAPI) userDoc(u fakeUser) map[string]any {
	return map[string]any{"id": u.id, "email": u.email, "name": u.name, "department": u.dept, "roles": u.roles}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// issue makes a token pair for username; call with a.mu held.
func (a *fakeAPI) issue(username string) (accessTok, refreshTok string) {
	a.next++
	accessTok = fmt.Sprintf("at-SECRET-%d", a.next)
	refreshTok = fmt.Sprintf("rt-SECRET-%d", a.next)
	a.access[accessTok] = username
	a.refresh[refreshTok] = username
	return accessTok, refreshTok
}

func (a *fakeAPI) login(w http.ResponseWriter, r *http.Request) {
	var in map[string]string
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad json"})
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.users[in["username"]]
	switch {
	case !ok: // a different status and body than a wrong password
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "no user " + in["username"] + " (password " + in["password"] + ")"})
		return
	case u.password != in["password"]:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "wrong password " + in["password"]})
		return
	}
	at, rt := a.issue(in["username"])
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": at, "id_token": "idt-SECRET-" + at, "refresh_token": rt, "expires_in": 900,
		"token_type": "Bearer", "user": a.userDoc(u),
	})
}

// bearerUser answers the user of a live bearer token; call with a.mu held.
func (a *fakeAPI) bearerUser(r *http.Request) (fakeUser, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return fakeUser{}, false
	}
	name, ok := a.access[tok]
	return a.users[name], ok
}

func (a *fakeAPI) validate(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var u fakeUser
	var ok bool
	switch r.Method {
	case http.MethodGet:
		u, ok = a.bearerUser(r)
	case http.MethodPost:
		var in map[string]string
		_ = json.NewDecoder(r.Body).Decode(&in)
		var name string
		name, ok = a.access[in["token"]]
		u = a.users[name]
	}
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"active": false, "error": "bad token " + r.Header.Get("Authorization")})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": true, "expires_in": 600, "user": a.userDoc(u)})
}

func (a *fakeAPI) refreshTokens(w http.ResponseWriter, r *http.Request) {
	var in map[string]string
	_ = json.NewDecoder(r.Body).Decode(&in)
	a.mu.Lock()
	defer a.mu.Unlock()
	name, ok := a.refresh[in["refresh_token"]]
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant " + in["refresh_token"]})
		return
	}
	delete(a.refresh, in["refresh_token"]) // rotation: one use each
	at, rt := a.issue(name)
	writeJSON(w, http.StatusOK, map[string]any{"access_token": at, "refresh_token": rt, "expires_in": "900"})
}

func (a *fakeAPI) userinfo(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.bearerUser(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "bad token " + r.Header.Get("Authorization")})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": a.userDoc(u)})
}

func (a *fakeAPI) revoke(w http.ResponseWriter, r *http.Request) {
	var in map[string]string
	_ = json.NewDecoder(r.Body).Decode(&in)
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.access, in["token"])
	delete(a.refresh, in["token"])
	w.WriteHeader(http.StatusNoContent)
}

func (a *fakeAPI) lookup(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, u := range a.users {
		if u.email == r.URL.Query().Get("email") {
			writeJSON(w, http.StatusOK, map[string]any{"user": a.userDoc(u)})
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
}
