package integration

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestSignInLimits (issue 13 §2): at the default sign-in limit (10 failed
// sign-ins per minute for an account from one network), 50 colleagues
// behind one address who sign in at the same moment are all accepted (the
// old limiter, counting every attempt per IP, refused 40); 20 wrong passwords per
// second for one account from one address get 429 once its budget is
// spent, the right password from there too (no oracle), while the same
// account signs in from another address and a colleague from the first.
func TestSignInLimits(t *testing.T) {
	needDeps(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	// The default limit, and the default deadlines (auth.login_deadline and
	// auth.provider_timeout, 10 s): 50 argon2id checks (19 MiB each, one per
	// core at a time) fit in them on a shared 2-core machine. With 64 MiB
	// hashes the deadline ran out for 28 of them under a load of 20 (503),
	// and those timeouts opened the breaker for everyone; a local
	// provider's timeouts no longer count as an outage.
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: dataDir, Env: []string{
		"OCRBOX_AUTH_LOGIN_RATE_PER_MINUTE=10",
	}})

	const colleagues = 50
	emails := make([]string, colleagues)
	passwords := make([]string, colleagues)
	for i := range colleagues {
		emails[i] = fmt.Sprintf("colleague%02d-%s@example.org", i, randomHex(3))
		passwords[i] = "pw-" + randomHex(8)
	}
	// `users add` hashes with argon2id (19 MiB) per account: one per core at
	// a time.
	start := time.Now()
	parallel(colleagues, runtime.NumCPU(), func(i int) { addUser(t, binPath, dataDir, emails[i], "", passwords[i]) })
	t.Logf("%d users added with the CLI in %v", colleagues, time.Since(start).Round(time.Millisecond))

	office := newClient(s)                      // from 127.0.0.1
	elsewhere := fromAddress(t, s, "127.0.0.2") // another network

	// An office signing in together.
	codes := make([]int, colleagues)
	start = time.Now()
	parallel(colleagues, colleagues, func(i int) { codes[i] = office.tryLogin(t, emails[i], passwords[i]).Status })
	took := time.Since(start)
	accepted := count(codes, http.StatusOK)
	t.Logf("office: %d of %d correct sign-ins from one address accepted in %v (status codes %v)",
		accepted, colleagues, took.Round(time.Millisecond), tally(codes))
	if accepted != colleagues {
		t.Errorf("%d of %d correct sign-ins refused", colleagues-accepted, colleagues)
	}
	if st := scrapeCounter(t, s, `ocrbox_auth_breaker_state{provider="local"}`); st != 0 {
		t.Errorf("the local provider's circuit breaker is in state %d after the burst, want 0 (closed)", st)
	}

	// 20 wrong passwords per second for one account from one address, for 2 s.
	victim := 0
	var mu sync.Mutex
	var wrong []response
	var wg sync.WaitGroup
	tick := time.NewTicker(50 * time.Millisecond)
	start = time.Now()
	for range 40 {
		<-tick.C
		wg.Go(func() {
			r := office.tryLogin(t, emails[victim], "wrong-"+randomHex(4))
			mu.Lock()
			wrong = append(wrong, r)
			mu.Unlock()
		})
	}
	tick.Stop()
	wg.Wait()
	var statuses []int
	limited := 0
	for _, r := range wrong {
		statuses = append(statuses, r.Status)
		switch r.Status {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			limited++
			if code := r.apiError(t).Error.Code; code != "rate_limited" {
				t.Errorf("429 with code %q", code)
			}
			if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
				t.Errorf("429 with Retry-After %q, want 1…60 seconds", r.Header.Get("Retry-After"))
			}
		default:
			t.Errorf("wrong password answered %d: %s", r.Status, r.Body)
		}
	}
	checked := count(statuses, http.StatusUnauthorized)
	t.Logf("guessing: %d wrong passwords in %v from one address: %d checked (401), %d refused (429)",
		len(wrong), time.Since(start).Round(time.Millisecond), checked, limited)
	// 10 at once, then one per 6 s refills.
	if maxChecked := 10 + int(time.Since(start)/(6*time.Second)); checked > maxChecked || limited == 0 {
		t.Errorf("%d wrong passwords checked (at most %d), %d limited", checked, maxChecked, limited)
	}
	if r := office.tryLogin(t, emails[victim], passwords[victim]); r.Status != http.StatusTooManyRequests {
		t.Errorf("the right password from the guessing address answered %d, want 429 before it is checked", r.Status)
	}
	if r := elsewhere.tryLogin(t, emails[victim], passwords[victim]); r.Status != http.StatusOK {
		t.Errorf("the account from another address: %d %s", r.Status, r.Body)
	} else {
		t.Logf("the same account from 127.0.0.2: 200")
	}
	if r := office.tryLogin(t, emails[1], passwords[1]); r.Status != http.StatusOK {
		t.Errorf("a colleague from the guessing address: %d %s", r.Status, r.Body)
	}

	// Every refusal is counted as such.
	if got := scrapeCounter(t, s, `ocrbox_auth_attempts_total{provider="none",result="rate_limited"}`); got != limited+1 {
		t.Errorf("rate_limited sign-ins counted %d, want %d", got, limited+1)
	}
}

// TestSignInBurstUnderOCRLoad (issue 13 §2 and §4): while one person's
// batch keeps every engine busy, 50 colleagues sign in from one address at
// once with the default deadlines (10 s): all are accepted, and the local
// provider's circuit breaker stays closed. Before, argon2id at 64 MiB and
// timeouts counted as an outage refused many of them with 503, and then
// everyone after them.
func TestSignInBurstUnderOCRLoad(t *testing.T) {
	needDeps(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: dataDir})

	const colleagues = 50
	emails := make([]string, colleagues)
	passwords := make([]string, colleagues)
	for i := range colleagues {
		emails[i] = fmt.Sprintf("colleague%02d-%s@example.org", i, randomHex(3))
		passwords[i] = "pw-" + randomHex(8)
	}
	parallel(colleagues, runtime.NumCPU(), func(i int) { addUser(t, binPath, dataDir, emails[i], "", passwords[i]) })
	addUser(t, binPath, dataDir, "heavy@example.org", "", "heavy-password")

	// The batch: more pages than the burst lasts, every engine busy.
	heavy := newClient(s).login(t, "heavy@example.org", "heavy-password")
	var files []upload
	for range 6 {
		files = append(files, corpusUpload(t, "multipage/four-pages.tif"))
	}
	batch := heavy.upload(t, [][2]string{{"outputs", "txt"}}, files...)
	deadline := time.Now().Add(time.Minute)
	for heavy.getTask(t, batch[0].ID).Status != "processing" {
		if time.Now().After(deadline) {
			t.Fatal("the batch did not start within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // engines loaded and recognising

	office := newClient(s)
	codes := make([]int, colleagues)
	start := time.Now()
	parallel(colleagues, colleagues, func(i int) { codes[i] = office.tryLogin(t, emails[i], passwords[i]).Status })
	took := time.Since(start)
	accepted := count(codes, http.StatusOK)
	busy := 0
	for _, tk := range batch {
		if !heavy.getTask(t, tk.ID).terminal() {
			busy++
		}
	}
	t.Logf("under OCR load (%d of %d batch tasks unfinished after the burst): %d of %d sign-ins accepted in %v (status codes %v)",
		busy, len(batch), accepted, colleagues, took.Round(time.Millisecond), tally(codes))
	if accepted != colleagues {
		t.Errorf("%d of %d correct sign-ins refused under OCR load", colleagues-accepted, colleagues)
	}
	if busy == 0 {
		t.Errorf("the batch finished before the burst did: no OCR load was measured")
	}
	if st := scrapeCounter(t, s, `ocrbox_auth_breaker_state{provider="local"}`); st != 0 {
		t.Errorf("the local provider's circuit breaker is in state %d after the burst, want 0 (closed)", st)
	}
}

// fromAddress is an anonymous client of s whose connections come from the
// loopback address local (Linux routes all of 127.0.0.0/8 to lo).
func fromAddress(t testing.TB, s *server, local string) *client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 10 * time.Second}
	c := newClient(s)
	c.hc = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{DialContext: d.DialContext}}
	return c
}

// parallel runs f(0…n-1) with at most width at a time.
func parallel(n, width int, f func(i int)) {
	sem := make(chan struct{}, width)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}

func count(codes []int, want int) int {
	n := 0
	for _, c := range codes {
		if c == want {
			n++
		}
	}
	return n
}

func tally(codes []int) map[int]int {
	m := map[int]int{}
	for _, c := range codes {
		m[c]++
	}
	return m
}

// scrapeCounter reads one sample of s's /metrics (from loopback, which needs
// no token); 0 when absent.
func scrapeCounter(t testing.TB, s *server, sample string) int {
	t.Helper()
	resp, err := s.httpClient(10 * time.Second).Get(s.baseURL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\d+)$`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}
