package idp

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Tap is a reverse proxy on 127.0.0.1 in front of an IdP that has no
// counters of its own (Dex): the IdP's issuer URL names the Tap's address,
// so everything the code under test sends the IdP passes through it. It
// counts token-endpoint requests per authorization code and per grant, and
// it can play an IdP that is down (SetDown).
type Tap struct {
	// Addr is 127.0.0.1:PORT, to put in the IdP's issuer URL.
	Addr string

	srv *http.Server
	mu  sync.Mutex
	up  *url.URL
	// down: connections are closed without an answer.
	down   bool
	codes  map[string]int
	grants map[string]int
}

// StartTap listens on a free port of 127.0.0.1 and closes in t.Cleanup.
// Requests fail until SetUpstream names the IdP.
func StartTap(t testing.TB) *Tap {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &Tap{Addr: l.Addr().String(), codes: map[string]int{}, grants: map[string]int{}}
	tp.srv = &http.Server{Handler: tp}
	go func() { _ = tp.srv.Serve(l) }()
	t.Cleanup(func() { _ = tp.srv.Close() })
	return tp
}

// SetUpstream sends what the Tap receives to the IdP at addr (host:port).
func (tp *Tap) SetUpstream(addr string) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.up = &url.URL{Scheme: "http", Host: addr}
}

// SetDown makes the IdP unreachable (true) or reachable again: while down,
// every connection is closed without an answer, as a dead host or network
// would.
func (tp *Tap) SetDown(down bool) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.down = down
}

// CodeRequests is how many token requests carried code.
func (tp *Tap) CodeRequests(code string) int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.codes[code]
}

// GrantRequests is how many token requests had grant_type grant.
func (tp *Tap) GrantRequests(grant string) int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.grants[grant]
}

func (tp *Tap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tp.mu.Lock()
	down, up := tp.down, tp.up
	tp.mu.Unlock()
	if down || up == nil {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		http.Error(w, "tap: no upstream", http.StatusBadGateway)
		return
	}
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token") {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil {
			tp.mu.Lock()
			tp.grants[form.Get("grant_type")]++
			if form.Get("grant_type") == "authorization_code" {
				tp.codes[form.Get("code")]++
			}
			tp.mu.Unlock()
		}
	}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(up)
		pr.Out.Host = pr.In.Host
	}}
	rp.ServeHTTP(w, r)
}
