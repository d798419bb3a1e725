package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// task mirrors the API's task JSON.
type task struct {
	ID          string     `json:"id"`
	Filename    string     `json:"filename"`
	Status      string     `json:"status"`
	Engine      string     `json:"engine"`
	Lang        string     `json:"lang"`
	Outputs     []string   `json:"outputs"`
	Autorotate  bool       `json:"autorotate"`
	PagesTotal  int        `json:"pages_total"`
	PagesDone   int        `json:"pages_done"`
	Attempts    int        `json:"attempts"`
	Error       string     `json:"error"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	DurationMS  int64      `json:"duration_ms"`
	Files       []taskFile `json:"files"`
}

// taskFile mirrors one entry of a task's files.
type taskFile struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
}

// file returns the task's file of the given kind.
func (t task) file(kind string) (taskFile, bool) {
	for _, f := range t.Files {
		if f.Kind == kind {
			return f, true
		}
	}
	return taskFile{}, false
}

// terminal reports whether the task can no longer change on its own.
func (t task) terminal() bool {
	return t.Status == "completed" || t.Status == "failed" || t.Status == "cancelled"
}

// apiError mirrors {"error":{"code","message","request_id"}}.
type apiError struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// user mirrors the user object of /auth/me and the login response.
type user struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Provider string `json:"provider"`
}

// response is a finished HTTP exchange with its body read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d response %q: %v", r.Status, truncate(string(r.Body), 500), err)
	}
}

// apiError decodes the body as the API's error shape and checks that all
// three fields are set.
func (r response) apiError(t testing.TB) apiError {
	t.Helper()
	var e apiError
	r.JSON(t, &e)
	if e.Error.Code == "" || e.Error.Message == "" || e.Error.RequestID == "" {
		t.Errorf("error body %s lacks code, message or request_id", truncate(string(r.Body), 500))
	}
	if rid := r.Header.Get("X-Request-ID"); rid != "" && rid != e.Error.RequestID {
		t.Errorf("error request_id %q differs from X-Request-ID %q", e.Error.RequestID, rid)
	}
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// client talks to one server as one signed-in user (or anonymously when
// token is empty).
type client struct {
	base  string
	token string
	hc    *http.Client
}

// newClient returns an anonymous client of s.
func newClient(s *server) *client {
	return &client{base: s.baseURL + "/api/v1", hc: s.httpClient(2 * time.Minute)}
}

// withToken returns a copy of c using token.
func (c *client) withToken(token string) *client {
	cc := *c
	cc.token = token
	return &cc
}

// do sends one request and reads the whole answer.
func (c *client) do(t testing.TB, method, path string, body io.Reader, contentType string) response {
	t.Helper()
	return c.doClose(t, method, path, body, contentType, false)
}

// doClose is do, optionally with "Connection: close" so the connection is
// not reused.
func (c *client) doClose(t testing.TB, method, path string, body io.Reader, contentType string, closeConn bool) response {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, path, err)
	}
	req.Close = closeConn
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// get is a GET request.
func (c *client) get(t testing.TB, path string) response {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil, "")
}

// postJSON posts v as JSON.
func (c *client) postJSON(t testing.TB, path string, v any) response {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return c.do(t, http.MethodPost, path, bytes.NewReader(data), "application/json")
}

// tryLogin posts the credentials and returns the raw answer.
func (c *client) tryLogin(t testing.TB, username, password string) response {
	t.Helper()
	return c.postJSON(t, "/auth/login", map[string]string{"username": username, "password": password})
}

// login signs in and returns a client carrying the bearer token.
func (c *client) login(t testing.TB, username, password string) *client {
	t.Helper()
	r := c.tryLogin(t, username, password)
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: status %d: %s", username, r.Status, r.Body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	r.JSON(t, &tok)
	if tok.AccessToken == "" {
		t.Fatalf("login %s: no access_token in %s", username, r.Body)
	}
	return c.withToken(tok.AccessToken)
}

// me returns the signed-in user.
func (c *client) me(t testing.TB) user {
	t.Helper()
	r := c.get(t, "/auth/me")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /auth/me: status %d: %s", r.Status, r.Body)
	}
	var v struct {
		User user `json:"user"`
	}
	r.JSON(t, &v)
	return v.User
}

// upload is one file part of a multipart upload.
type upload struct {
	Name string
	Data []byte
	// RawDisposition, when set, is written verbatim as the part's
	// Content-Disposition header (for names Go's writer would escape).
	RawDisposition string
}

// multipartBody builds a multipart/form-data body: the form fields first
// (in order), then one `file` part per upload.
func multipartBody(t testing.TB, fields [][2]string, files []upload) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		if f.RawDisposition != "" {
			h.Set("Content-Disposition", f.RawDisposition)
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, escapeQuotes(f.Name)))
		}
		h.Set("Content-Type", "application/octet-stream")
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

func escapeQuotes(s string) string { return quoteEscaper.Replace(s) }

// uploadRaw posts a multipart upload and returns the raw answer. The
// connection is not reused: a server that refuses an upload before reading
// all of it may otherwise parse the rest as the next request (see
// TestBadInput's "connection stays in sync"), and that must not disturb
// the other tests.
func (c *client) uploadRaw(t testing.TB, fields [][2]string, files ...upload) response {
	t.Helper()
	body, ct := multipartBody(t, fields, files)
	return c.doClose(t, http.MethodPost, "/tasks", body, ct, true)
}

// upload posts files and expects 202 with one task per file.
func (c *client) upload(t testing.TB, fields [][2]string, files ...upload) []task {
	t.Helper()
	r := c.uploadRaw(t, fields, files...)
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST /tasks: status %d, want 202: %s", r.Status, truncate(string(r.Body), 1000))
	}
	var v struct {
		Tasks []task `json:"tasks"`
	}
	r.JSON(t, &v)
	if len(v.Tasks) != len(files) {
		t.Fatalf("POST /tasks: %d tasks for %d files: %s", len(v.Tasks), len(files), truncate(string(r.Body), 1000))
	}
	return v.Tasks
}

// getTask fetches a task and expects 200.
func (c *client) getTask(t testing.TB, id string) task {
	t.Helper()
	r := c.get(t, "/tasks/"+id)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /tasks/%s: status %d: %s", id, r.Status, r.Body)
	}
	var v task
	r.JSON(t, &v)
	return v
}

// waitTerminal polls a task until it is completed, failed or cancelled.
func (c *client) waitTerminal(t testing.TB, id string, timeout time.Duration) task {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last task
	for {
		last = c.getTask(t, id)
		if last.terminal() {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s (%s) not finished after %s: status %s, pages %d/%d",
				id, last.Filename, timeout, last.Status, last.PagesDone, last.PagesTotal)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// waitStatus polls a task until it reaches want, failing on another
// terminal status or on timeout.
func (c *client) waitStatus(t testing.TB, id, want string, timeout time.Duration) task {
	t.Helper()
	tk := c.waitTerminal(t, id, timeout)
	if tk.Status != want {
		t.Fatalf("task %s (%s) ended %s (error %q), want %s", id, tk.Filename, tk.Status, tk.Error, want)
	}
	return tk
}

// download fetches one of a task's files and expects 200.
func (c *client) download(t testing.TB, taskID, fileID string) response {
	t.Helper()
	r := c.get(t, "/tasks/"+taskID+"/files/"+fileID)
	if r.Status != http.StatusOK {
		t.Fatalf("download %s/%s: status %d: %s", taskID, fileID, r.Status, truncate(string(r.Body), 500))
	}
	return r
}

// downloadKind fetches the task's file of one kind.
func (c *client) downloadKind(t testing.TB, tk task, kind string) []byte {
	t.Helper()
	f, ok := tk.file(kind)
	if !ok {
		t.Fatalf("task %s (%s) has no %s file: %+v", tk.ID, tk.Filename, kind, tk.Files)
	}
	return c.download(t, tk.ID, f.ID).Body
}

// listTasks returns the first page (up to 200) of the user's tasks.
func (c *client) listTasks(t testing.TB) (items []task, total int) {
	t.Helper()
	r := c.get(t, "/tasks?page_size=200")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /tasks: status %d: %s", r.Status, r.Body)
	}
	var v struct {
		Items []task `json:"items"`
		Total int    `json:"total"`
	}
	r.JSON(t, &v)
	return v.Items, v.Total
}

// rawPost sends one POST over a fresh connection, writing the body while
// it reads the answer: a server may refuse (413) before it has read the
// whole body and close the connection, which http.Client can report as a
// broken pipe instead of the answer.
func (c *client) rawPost(t testing.TB, addr, path, contentType string, body []byte) response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Minute))
	var head bytes.Buffer
	fmt.Fprintf(&head, "POST /api/v1%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Type: %s\r\nContent-Length: %d\r\n",
		path, addr, contentType, len(body))
	if c.token != "" {
		fmt.Fprintf(&head, "Authorization: Bearer %s\r\n", c.token)
	}
	head.WriteString("\r\n")
	go func() {
		if _, err := conn.Write(head.Bytes()); err == nil {
			_, _ = conn.Write(body) // may fail once the server has answered; that is fine
		}
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s: read answer: %v", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: read body: %v", path, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}
