package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The HTTP-level fuzz suite (issue 11): it reads the running server's own
// OpenAPI document, walks every operation, and sends each parameter and
// body field a table of hostile values — out of range, malformed, huge,
// wrongly typed — signed in and anonymous. No answer may be a 5xx, every
// error must be the API's JSON error shape, and the server must be alive,
// with no panic in its log, afterwards.

// apiFuzzWorkers is how many requests are in flight at once.
const apiFuzzWorkers = 4

// fuzzNumbers are integers and near-integers out of every range.
var fuzzNumbers = []string{
	"-1", "0", "1", "201", "1001", "2147483648", "9223372036854775807", "9223372036854775808",
	"-9223372036854775809", "46116860184273880", "1e308", "-1e308", "NaN", "Infinity", "0x10", "1_000",
	"+5", " 5", "5 ", "1.5",
}

// fuzzStrings are malformed, hostile and huge strings.
var fuzzStrings = []string{
	"", "abc", "\x00", "%00", "%", "%zz", "../../etc/passwd", `..\..\windows\win.ini`, "日本語テキスト",
	"\u202egnp.exe", "😀", "\xff\xfe", "'; DROP TABLE tasks;--", "<script>alert(1)</script>",
	"${jndi:ldap://x/a}", "*", "user_id:* OR title:/.*/", "true", "null", "[]", "{}", "a,b,,c",
	// Long, but inside the server's 16 KiB request-line buffer, so they
	// reach the parsers (oversized requests are a case of their own).
	strings.Repeat("A", 12<<10), strings.Repeat("é", 1800), "2024-02-30", "0000-01-01",
	"9999-12-31T23:59:59.999999999Z", "2024-05-01T25:61:61Z", "completed", "filename", "asc", "eng+eng+eng+eng+eng+eng+eng+eng+eng",
}

// fuzzIDs are task and file ids of every shape that is not the caller's.
var fuzzIDs = []string{
	"00000000-0000-0000-0000-000000000000", "0190b000-0000-7000-8000-000000000001",
	"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
	strings.Repeat("z", 36), strings.Repeat("a", 4096), "..", ".", "undefined", "null", "task;DROP", "%2e%2e%2f",
}

// fuzzJSON are JSON values of every type for body fields.
var fuzzJSON = []string{
	`""`, `"x"`, `"` + strings.Repeat("A", 64<<10) + `"`, `-1`, `0`, `9223372036854775808`, `1e308`,
	`46116860184273880`, `true`, `null`, `[]`, `[1,"a",null]`, `{}`, `{"$ne":null}`, `"\u0000"`, `"\ud800"`,
	`"../../etc/passwd"`, `"\u202e"`, `"2024-02-30"`, `"0000-01-01"`, `"9999-12-31T23:59:59Z"`, `"csv"`,
	`"json"`, `"completed"`, strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
}

// fuzzBodies replace a whole body: empty, not JSON, wrong JSON types, huge.
var fuzzBodies = []struct {
	name, ctype, body string
	chunked           bool // no Content-Length
	oversized         bool // may be refused before the client has written it all
}{
	{"empty json", "application/json", "", false, false},
	{"json null", "application/json", "null", false, false},
	{"json array", "application/json", "[]", false, false},
	{"json string", "application/json", `"x"`, false, false},
	{"truncated json", "application/json", `{"a":`, false, false},
	{"unknown fields", "application/json", `{"zzz":1,"__proto__":{"x":1}}`, false, false},
	{"bom json", "application/json", "\ufeff{}", false, false},
	{"utf-16 json", "application/json; charset=utf-16", "\xff\xfe{\x00}\x00", false, false},
	{"64 KiB json", "application/json", `{"q":"` + strings.Repeat("B", 64<<10) + `"}`, false, false},
	{"1 MiB json", "application/json", `{"q":"` + strings.Repeat("B", 1<<20) + `"}`, false, true},
	{"1 MiB json chunked", "application/json", `{"q":"` + strings.Repeat("B", 1<<20) + `"}`, true, true},
	{"5 MiB garbage", "application/octet-stream", strings.Repeat("\x00\xff", 5<<19), false, true},
	{"no content type", "", `{"format":"csv"}`, false, false},
	{"text/plain", "text/plain", "hello", false, false},
	{"form", "application/x-www-form-urlencoded", "format=csv&username=a&password=b", false, false},
	{"multipart without boundary", "multipart/form-data", "--x\r\n", false, false},
	{"multipart garbage", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n", false, false},
	{"multipart empty boundary", "multipart/form-data; boundary=", "", false, false},
	{"xml", "application/xml", "<a/>", false, false},
	{"huge content type", strings.Repeat("a/b;c=d;", 1000), "{}", false, false},
}

// fuzzAuth are Authorization headers for the anonymous round.
var fuzzAuth = []string{
	"Bearer", "Bearer ", "Bearer " + strings.Repeat("a", 8<<10), "bearer x", "Basic Zm9vOmJhcg==",
	"Bearer 日本", "Bearer ../../etc/passwd", "Bearer null",
}

// fuzzCase is one request of the suite.
type fuzzCase struct {
	op, name     string
	method       string
	path         string // escaped path, or the raw request-target when raw
	raw          bool   // send path as is (traversal, broken escapes)
	query        string // encoded query
	header       map[string]string
	body         []byte
	ctype        string
	anonymous    bool // only without a session
	ownSession   bool // a session of its own (logout ends it)
	chunked      bool // body without Content-Length
	oversized    bool // past the read buffer: 431, or the connection closed before the client finished writing
	wantStatus   int  // 0: anything below 500
	onlySignedIn bool
}

// fuzzOperation is one operation of the OpenAPI document.
type fuzzOperation struct {
	method, path string
	params       []fuzzParam
	jsonFields   []string
	jsonExample  map[string]any
	multipart    []string // form fields other than file
}

type fuzzParam struct{ name, in string }

// apiOperations reads every operation of doc: its parameters (with $ref
// resolved) and its body's fields.
func apiOperations(t *testing.T, doc map[string]any) []fuzzOperation {
	t.Helper()
	resolve := func(v any) map[string]any {
		m, _ := v.(map[string]any)
		for m != nil {
			ref, ok := m["$ref"].(string)
			if !ok {
				return m
			}
			var cur any = doc
			for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
				cur = cur.(map[string]any)[p]
			}
			m, _ = cur.(map[string]any)
		}
		return m
	}
	var ops []fuzzOperation
	paths, _ := doc["paths"].(map[string]any)
	for path, v := range paths {
		item := v.(map[string]any)
		for _, method := range []string{"get", "put", "post", "delete", "patch"} {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			o := fuzzOperation{method: strings.ToUpper(method), path: path}
			var params []any
			if ps, ok := item["parameters"].([]any); ok {
				params = append(params, ps...)
			}
			if ps, ok := op["parameters"].([]any); ok {
				params = append(params, ps...)
			}
			for _, p := range params {
				pm := resolve(p)
				o.params = append(o.params, fuzzParam{name: pm["name"].(string), in: pm["in"].(string)})
			}
			if rb := resolve(op["requestBody"]); rb != nil {
				content, _ := rb["content"].(map[string]any)
				if js, ok := content["application/json"].(map[string]any); ok {
					for f := range resolve(js["schema"])["properties"].(map[string]any) {
						o.jsonFields = append(o.jsonFields, f)
					}
					o.jsonExample, _ = js["example"].(map[string]any)
				}
				if mp, ok := content["multipart/form-data"].(map[string]any); ok {
					for f := range resolve(mp["schema"])["properties"].(map[string]any) {
						if f != "file" {
							o.multipart = append(o.multipart, f)
						}
					}
				}
			}
			sort.Strings(o.jsonFields)
			sort.Strings(o.multipart)
			ops = append(ops, o)
		}
	}
	// Deleting runs last, so the other operations meet the real task.
	rank := func(o fuzzOperation) int {
		if o.method == http.MethodDelete {
			return 1
		}
		return 0
	}
	slices.SortFunc(ops, func(a, b fuzzOperation) int {
		if r := rank(a) - rank(b); r != 0 {
			return r
		}
		return strings.Compare(a.method+" "+a.path, b.method+" "+b.path)
	})
	return ops
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// validHeader reports whether Go's client can send v as a header value.
func validHeader(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f })
}

// fuzzCases builds every request for op. ids gives the path parameters
// their real values (the caller's task and file).
func fuzzCases(op fuzzOperation, ids map[string]string, png []byte) []fuzzCase {
	key := op.method + " " + op.path
	fill := func(override map[string]string) string {
		return pathParam.ReplaceAllStringFunc(op.path, func(m string) string {
			name := m[1 : len(m)-1]
			if v, ok := override[name]; ok {
				return url.PathEscape(v)
			}
			return ids[name]
		})
	}
	logout := op.path == "/api/v1/auth/logout"
	base := fuzzCase{op: key, method: op.method, path: fill(nil), ownSession: logout}
	var baseBody []byte
	switch {
	case op.jsonExample != nil:
		baseBody, _ = json.Marshal(op.jsonExample)
		base.ctype = "application/json"
	case len(op.jsonFields) > 0:
		baseBody, base.ctype = []byte("{}"), "application/json"
	case op.multipart != nil:
		baseBody, base.ctype = uploadBody(nil, "fuzz.png", png)
	}
	base.body = baseBody
	var out []fuzzCase
	add := func(name string, edit func(c *fuzzCase)) {
		c := base
		c.name = name
		c.header = map[string]string{}
		edit(&c)
		out = append(out, c)
	}
	add("baseline", func(*fuzzCase) {})
	for _, p := range op.params {
		values := append(append([]string{}, fuzzNumbers...), fuzzStrings...)
		if p.in == "path" {
			values = append(values, fuzzIDs...)
		}
		for _, v := range values {
			name := fmt.Sprintf("%s %s=%.40q", p.in, p.name, v)
			switch p.in {
			case "query":
				add(name, func(c *fuzzCase) { c.query = url.Values{p.name: {v}}.Encode() })
			case "path":
				add(name, func(c *fuzzCase) { c.path = fill(map[string]string{p.name: v}) })
			case "header":
				if validHeader(v) {
					add(name, func(c *fuzzCase) { c.header[p.name] = v })
				}
			}
		}
		switch p.in {
		case "query":
			add("query "+p.name+" repeated", func(c *fuzzCase) { c.query = p.name + "=1&" + p.name + "=2" })
			add("query "+p.name+" bare", func(c *fuzzCase) { c.query = p.name })
			add("query "+p.name+"[]", func(c *fuzzCase) { c.query = p.name + "[]=1&" + p.name + "[a]=2" })
			add("query "+p.name+" broken escape", func(c *fuzzCase) { c.query = p.name + "=%zz%" })
		case "path":
			for _, raw := range []string{"../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%", "..;", "%00", "a/b/c"} {
				add("raw path "+p.name+"="+raw, func(c *fuzzCase) {
					c.raw = true
					c.path = pathParam.ReplaceAllStringFunc(op.path, func(m string) string {
						if m[1:len(m)-1] == p.name {
							return raw
						}
						return ids[m[1:len(m)-1]]
					})
				})
			}
		}
	}
	for _, f := range op.jsonFields {
		for _, v := range fuzzJSON {
			add(fmt.Sprintf("json %s=%.40s", f, v), func(c *fuzzCase) { c.body = setJSONField(baseBody, f, v) })
		}
	}
	for _, f := range op.multipart {
		for _, v := range append(append([]string{}, fuzzNumbers...), fuzzStrings...) {
			add(fmt.Sprintf("form %s=%.40q", f, v), func(c *fuzzCase) {
				c.body, c.ctype = uploadBody([][2]string{{f, v}}, "fuzz.png", png)
			})
		}
		add("form "+f+" after the file", func(c *fuzzCase) { c.body, c.ctype = uploadAfter(f, png) })
	}
	if op.multipart != nil {
		for _, name := range []string{"", "../../etc/passwd", "\x00.png", "日本語.png", "\u202egnp.exe", strings.Repeat("n", 8<<10) + ".png", `a"b.png`, "con.png"} {
			add(fmt.Sprintf("filename %.40q", name), func(c *fuzzCase) { c.body, c.ctype = uploadBody(nil, name, png) })
		}
		for _, data := range []struct{ name, data string }{
			{"empty file", ""}, {"one byte", "\x89"}, {"truncated png", string(png[:40])},
			{"pdf garbage", "%PDF-1.7\n" + strings.Repeat("0 0 obj\n", 1000)}, {"tiff header", "II*\x00\x08\x00\x00\x00\xff\xff"},
			{"zeros", strings.Repeat("\x00", 64<<10)},
		} {
			add("file "+data.name, func(c *fuzzCase) { c.body, c.ctype = uploadBody(nil, "fuzz.png", []byte(data.data)) })
		}
		add("no file part", func(c *fuzzCase) { c.body, c.ctype = uploadBody([][2]string{{"lang", "eng"}}, "", nil) })
	}
	if op.method == http.MethodPost {
		for _, b := range fuzzBodies {
			add("body "+b.name, func(c *fuzzCase) {
				c.body, c.ctype, c.chunked, c.oversized = []byte(b.body), b.ctype, b.chunked, b.oversized
			})
		}
	}
	for _, m := range []string{http.MethodPut, http.MethodPatch, "PROPFIND"} {
		add("method "+m, func(c *fuzzCase) { c.method = m })
	}
	for _, v := range fuzzAuth {
		add(fmt.Sprintf("authorization %.30q", v), func(c *fuzzCase) {
			c.anonymous = true
			c.header["Authorization"] = v
		})
	}
	for _, v := range []string{strings.Repeat("r", 65), "a b", "ü", "{}"} {
		add(fmt.Sprintf("x-request-id %.20q", v), func(c *fuzzCase) { c.header["X-Request-ID"] = v })
	}
	add("request line past the read buffer", func(c *fuzzCase) {
		c.query = "q=" + strings.Repeat("A", 64<<10)
		c.oversized = true
	})
	add("headers past the read buffer", func(c *fuzzCase) {
		c.header["X-Padding"] = strings.Repeat("A", 64<<10)
		c.oversized = true
	})
	add("cookie session garbage", func(c *fuzzCase) {
		c.anonymous = true
		c.header["Cookie"] = "ocrbox_session=" + strings.Repeat("%", 100) + "; ocrbox_csrf=x"
		c.header["X-CSRF-Token"] = "x"
	})
	return out
}

// setJSONField returns base with field set to the raw JSON value v.
func setJSONField(base []byte, field, v string) []byte {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(base, &m)
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	m[field] = json.RawMessage(v)
	var buf bytes.Buffer
	buf.WriteByte('{')
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(m[k]) // raw, so invalid JSON stays invalid
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// uploadBody is a multipart upload: fields, then one file part (none when
// filename and data are both empty).
func uploadBody(fields [][2]string, filename string, data []byte) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		_ = mw.WriteField(f[0], f[1])
	}
	if filename != "" || data != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, escapeQuotes(filename)))
		h.Set("Content-Type", "application/octet-stream")
		w, _ := mw.CreatePart(h)
		_, _ = w.Write(data)
	}
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// uploadAfter puts the form field after the file (refused: 422).
func uploadAfter(field string, png []byte) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("file", "fuzz.png")
	_, _ = w.Write(png)
	_ = mw.WriteField(field, "x")
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// fuzzResult is what one request got.
type fuzzResult struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// send performs c against base with token (empty: anonymous).
func (c fuzzCase) send(hc *http.Client, base, token string) fuzzResult {
	target := base + c.path
	var body io.Reader = bytes.NewReader(c.body)
	if c.chunked {
		body = io.MultiReader(body) // unknown length: sent chunked
	}
	req, err := http.NewRequest(c.method, base+"/", body)
	if err != nil {
		return fuzzResult{err: err}
	}
	if c.raw {
		req.URL.Opaque = c.path
	} else if req.URL, err = url.Parse(target); err != nil {
		return fuzzResult{err: fmt.Errorf("parse %s: %w", target, err)}
	}
	req.URL.RawQuery = c.query
	req.Close = c.body != nil && c.ctype != "application/json" // a refused upload leaves bytes unread
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fuzzResult{err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return fuzzResult{status: resp.StatusCode, header: resp.Header, body: data, err: err}
}

// earlyCloseBody is a body large enough not to fit the socket buffers, so a
// server that answers from the headers and closes may reset its writer.
const earlyCloseBody = 8 << 10

// closedEarly: the server closed the connection before the client finished
// writing the request (it refused it from its headers).
func closedEarly(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "connection reset by peer") || strings.Contains(msg, "broken pipe") ||
		strings.Contains(msg, "EOF") || strings.Contains(msg, "server closed")
}

// check returns what is wrong with r, or "".
func (r fuzzResult) check() string {
	if r.err != nil {
		return "no answer: " + r.err.Error()
	}
	if r.status >= 500 {
		return fmt.Sprintf("status %d: %s", r.status, truncate(string(r.body), 300))
	}
	if r.status >= 400 {
		var e apiError
		if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || json.Unmarshal(r.body, &e) != nil ||
			e.Error.Code == "" || e.Error.Message == "" || e.Error.RequestID == "" {
			return fmt.Sprintf("status %d is not the JSON error shape (%s): %s", r.status, r.header.Get("Content-Type"), truncate(string(r.body), 300))
		}
	}
	return ""
}

// TestAPIFuzz walks every operation of the served OpenAPI document with
// hostile parameters and bodies, signed in and anonymous (issue 11). The
// request that once ended the process is a named case.
func TestAPIFuzz(t *testing.T) {
	needDeps(t)
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: filepath.Join(t.TempDir(), "data")})
	s.waitPDFium(t, 3*time.Minute) // the fuzz's deadline per request is for ocrbox, not for a cold PDFium cache
	email, password := "apifuzz-"+randomHex(4)+"@example.org", "pw-"+randomHex(8)
	addUser(t, binPath, s.cfg.DataDir, email, "Fuzz", password)
	me := newClient(s).login(t, email, password)
	png := patternPNG(t, 160, 60)
	tk := me.waitTerminal(t, me.upload(t, nil, upload{Name: "fuzz.png", Data: png})[0].ID, 2*time.Minute)
	if tk.Status != "completed" || len(tk.Files) == 0 {
		t.Fatalf("the task to fuzz with did not complete: %+v", tk)
	}
	ids := map[string]string{"id": tk.ID, "file_id": tk.Files[0].ID}
	// History answers 503 while its index is built at start; wait for it.
	deadline := time.Now().Add(30 * time.Second)
	for me.get(t, "/history?q=fuzz").Status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("history never became ready")
		}
		time.Sleep(200 * time.Millisecond)
	}

	r := newClient(s).get(t, "/openapi.json")
	var doc map[string]any
	r.JSON(t, &doc)
	ops := apiOperations(t, doc)
	if len(ops) < 26 {
		t.Fatalf("the served OpenAPI document has %d operations, want at least 26", len(ops))
	}

	type job struct {
		c     fuzzCase
		token bool
	}
	var jobs []job
	cases := 0
	for _, op := range ops {
		cs := fuzzCases(op, ids, png)
		if op.method == http.MethodGet && (op.path == "/api/v1/tasks" || op.path == "/api/v1/history") {
			for _, sortBy := range []string{"filename", "created_at"} {
				crash := fuzzCase{op: op.method + " " + op.path, name: "issue 11 crash sort=" + sortBy, method: op.method, path: op.path,
					query: "sort=" + sortBy + "&page_size=200&page=46116860184273880", header: map[string]string{}, wantStatus: 422, onlySignedIn: true}
				cs = append(cs, crash)
			}
		}
		for _, c := range cs {
			cases++
			if !c.anonymous {
				jobs = append(jobs, job{c, true})
			}
			if !c.onlySignedIn {
				jobs = append(jobs, job{c, false})
			}
		}
	}

	hc := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var (
		mu       sync.Mutex
		failures []string
		fivexx   atomic.Int64
		byStatus = map[int]int{}
	)
	start := time.Now()
	work := make(chan job)
	var wg sync.WaitGroup
	for range apiFuzzWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				token := ""
				if j.token {
					token = me.token
					if j.c.ownSession {
						// A session of its own: logging it out must not end the suite's.
						token = signInAgain(hc, newClient(s).base, email, password)
					}
				}
				res := j.c.send(hc, s.baseURL, token)
				problem := res.check()
				// Past the read buffer (431), or refusing a body from its headers
				// alone (413 past 64 KiB, 401 without a session), the server
				// answers and closes while the client may still be writing a
				// large body: the client then sees a reset instead of the
				// answer. The process is checked alive and panic-free below.
				if res.err != nil && (j.c.oversized || (len(j.c.body) >= earlyCloseBody && closedEarly(res.err))) {
					problem = ""
				}
				if problem == "" && j.c.wantStatus != 0 && res.status != j.c.wantStatus {
					problem = fmt.Sprintf("status %d, want %d: %s", res.status, j.c.wantStatus, truncate(string(res.body), 300))
				}
				mu.Lock()
				byStatus[res.status]++
				if res.status >= 500 {
					fivexx.Add(1)
				}
				if problem != "" {
					who := "anonymous"
					if j.token {
						who = "signed in"
					}
					failures = append(failures, fmt.Sprintf("%s [%s] (%s): %s", j.c.op, j.c.name, who, problem))
				}
				mu.Unlock()
				if res.err != nil && s.exited() {
					return
				}
			}
		}()
	}
	for _, j := range jobs {
		if s.exited() {
			break
		}
		work <- j
	}
	close(work)
	wg.Wait()
	took := time.Since(start)

	summary := fmt.Sprintf("apifuzz: %d operations × %d cases on average (%d cases) × signed in/anonymous = %d requests in %.1f s, 5xx: %d, failures: %d, statuses: %v",
		len(ops), cases/len(ops), cases, len(jobs), took.Seconds(), fivexx.Load(), len(failures), byStatus)
	t.Log(summary)
	fmt.Println(summary)
	slices.Sort(failures)
	for i, f := range failures {
		if i == 50 {
			t.Errorf("… and %d more", len(failures)-50)
			break
		}
		t.Error(f)
	}
	if s.exited() {
		t.Fatalf("the server process ended during the suite: %v", s.waitErr)
	}
	if r := newClient(s).get(t, "/healthz"); r.Status != http.StatusOK {
		t.Errorf("/healthz answers %d after the suite", r.Status)
	}
	if me.get(t, "/auth/me").Status != http.StatusOK {
		t.Error("the suite's session no longer works")
	}
	if log := s.stderr.From(0); strings.Contains(strings.ToLower(log), "panic") {
		i := strings.Index(strings.ToLower(log), "panic")
		t.Errorf("the server log mentions a panic: %s", truncate(log[max(0, strings.LastIndex(log[:i], "\n")+1):], 3000))
	}
}

// sendLogin signs in a new session for a case that ends its own session.
func signInAgain(hc *http.Client, base, email, password string) string {
	body, _ := json.Marshal(map[string]string{"username": email, "password": password})
	resp, err := hc.Post(base+"/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	return tok.AccessToken
}
