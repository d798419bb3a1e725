package integration

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// patternPNG encodes a w×h grey image of pseudo-random dark blocks: valid,
// cheap to OCR, and large enough that cutting it truncates the pixel data.
func patternPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(255)
			if (x/8+y/8)%3 == 0 || rng.IntN(10) == 0 {
				v = uint8(rng.IntN(80))
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngChunk is one PNG chunk: length, type, data, CRC.
func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	_ = binary.Write(&b, binary.BigEndian, crc.Sum32())
	return b.Bytes()
}

// pixelFloodPNG is a small, well-formed PNG whose header declares w×h 1-bit
// grey pixels: decoding it would need w*h bytes or more of memory.
func pixelFloodPNG(t testing.TB, w, h uint32) []byte {
	t.Helper()
	var ihdr bytes.Buffer
	_ = binary.Write(&ihdr, binary.BigEndian, w)
	_ = binary.Write(&ihdr, binary.BigEndian, h)
	ihdr.Write([]byte{1, 0, 0, 0, 0}) // bit depth 1, greyscale, deflate, no filter, no interlace
	var idat bytes.Buffer
	zw := zlib.NewWriter(&idat)
	_, _ = zw.Write(make([]byte, 4096)) // a few rows of zeros; the rest is missing
	_ = zw.Close()
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	b.Write(pngChunk("IHDR", ihdr.Bytes()))
	b.Write(pngChunk("IDAT", idat.Bytes()))
	b.Write(pngChunk("IEND", nil))
	return b.Bytes()
}

// procStatusKB reads a "VmXXX:  N kB" line of /proc/PID/status.
func procStatusKB(t testing.TB, pid int, key string) int {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatalf("read process status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("parse %s %q: %v", key, v, err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}

// serverFileName is every name the file store may create.
var serverFileName = regexp.MustCompile(`^(input\.[a-z]+|page-\d{4}\.(json|pdf)|result\.(txt|hocr|json|pdf))$`)

// uuidName matches the user and task directory names.
var uuidName = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// checkFileTree walks data_dir/files: <user id>/<task id>/<server-made
// name>, nothing else.
func checkFileTree(t *testing.T, dataDir string) {
	t.Helper()
	root := filepath.Join(dataDir, "files")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "." {
			return nil
		}
		parts := strings.Split(rel, string(filepath.Separator))
		switch {
		case len(parts) <= 2 && d.IsDir() && uuidName.MatchString(d.Name()):
		case len(parts) == 3 && d.Type().IsRegular() && serverFileName.MatchString(d.Name()):
			n++
		default:
			t.Errorf("unexpected entry in the file store: %q (mode %s)", rel, d.Type())
		}
		return nil
	})
	if err != nil {
		t.Errorf("walk %s: %v", root, err)
	}
	if n == 0 {
		t.Errorf("no files at all under %s", root)
	}
}

// checkReadableError checks a failed task's error text: present, short,
// plain text, and free of server internals.
func checkReadableError(t *testing.T, tk task, dataDir string) {
	t.Helper()
	e := tk.Error
	switch {
	case strings.TrimSpace(e) == "":
		t.Errorf("%s: failed without an error message", tk.Filename)
	case !utf8.ValidString(e) || strings.ContainsFunc(e, func(r rune) bool { return r < 0x20 && r != '\n' }):
		t.Errorf("%s: error has control characters: %q", tk.Filename, e)
	case len(e) > 500:
		t.Errorf("%s: error is %d bytes long: %q", tk.Filename, len(e), truncate(e, 200))
	case strings.Contains(e, dataDir) || strings.Contains(e, "/files/") || strings.Contains(e, "goroutine") || strings.Contains(e, "panic"):
		t.Errorf("%s: error leaks server internals: %q", tk.Filename, e)
	}
}

// TestBadInput feeds the upload endpoint what users and attackers send and
// checks each refusal, each failure and that the server carries on.
func TestBadInput(t *testing.T) {
	s := sharedServer(t)
	c, u := newUser(t, s, "bad", "Bad")
	good := patternPNG(t, 320, 120)

	refused := []struct {
		name   string
		fields [][2]string
		files  []upload
		status int
		code   string // checked when set
	}{
		{"text file", nil, []upload{{Name: "notes.png", Data: []byte("Dear diary,\nthis is plain text, not an image.\n")}},
			http.StatusUnsupportedMediaType, ""},
		{"empty file", nil, []upload{{Name: "empty.png", Data: nil}}, http.StatusUnprocessableEntity, ""},
		{"unknown language", [][2]string{{"lang", "xxx"}}, []upload{{Name: "a.png", Data: good}},
			http.StatusUnprocessableEntity, "unsupported_language"},
		{"unknown engine", [][2]string{{"engine", "no-such-engine"}}, []upload{{Name: "a.png", Data: good}},
			http.StatusUnprocessableEntity, ""},
		{"bad outputs", [][2]string{{"outputs", "txt,docx"}}, []upload{{Name: "a.png", Data: good}},
			http.StatusUnprocessableEntity, ""},
		{"no file part", [][2]string{{"lang", "eng"}}, nil, http.StatusUnprocessableEntity, ""},
		{"second file refused", nil, []upload{{Name: "ok.png", Data: good}, {Name: "notes.png", Data: []byte("plain text")}},
			http.StatusUnsupportedMediaType, ""},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			r := c.uploadRaw(t, tc.fields, tc.files...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, truncate(string(r.Body), 300))
			}
			e := r.apiError(t)
			if tc.code != "" && e.Error.Code != tc.code {
				t.Errorf("code %q, want %q (message %q)", e.Error.Code, tc.code, e.Error.Message)
			}
			t.Logf("%d %s: %s", r.Status, e.Error.Code, e.Error.Message)
		})
	}

	t.Run("not multipart", func(t *testing.T) {
		r := c.do(t, http.MethodPost, "/tasks", strings.NewReader(`{"file":"x"}`), "application/json")
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422: %s", r.Status, r.Body)
		}
		r.apiError(t)
	})

	t.Run("no auth", func(t *testing.T) {
		anon := newClient(s)
		r := anon.uploadRaw(t, nil, upload{Name: "a.png", Data: good})
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("upload without a token: status %d, want 401: %s", r.Status, r.Body)
		}
		r.apiError(t)
		if r := anon.withToken("not-a-real-token").get(t, "/tasks"); r.Status != http.StatusUnauthorized {
			t.Errorf("list with a made-up token: status %d, want 401", r.Status)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		r := newClient(s).tryLogin(t, u.Email, "definitely-wrong-password")
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401: %s", r.Status, r.Body)
		}
		if e := r.apiError(t); e.Error.Code != "invalid_credentials" {
			t.Errorf("code %q, want invalid_credentials", e.Error.Code)
		}
		if strings.Contains(string(r.Body), "access_token") {
			t.Errorf("a failed login returned a token: %s", r.Body)
		}
	})

	t.Run("pixel flood", func(t *testing.T) {
		pid := s.pid()
		hwmBefore := procStatusKB(t, pid, "VmHWM")
		flood := pixelFloodPNG(t, 30000, 30000)
		start := time.Now()
		r := c.uploadRaw(t, nil, upload{Name: "flood.png", Data: flood})
		elapsed := time.Since(start)
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413: %s", r.Status, r.Body)
		}
		e := r.apiError(t)
		if elapsed > 5*time.Second {
			t.Errorf("the refusal took %s, want < 5s (was the image decoded?)", elapsed)
		}
		hwmAfter, rss := procStatusKB(t, pid, "VmHWM"), procStatusKB(t, pid, "VmRSS")
		t.Logf("413 %s %q in %s; server peak RSS %d → %d MB, RSS now %d MB",
			e.Error.Code, e.Error.Message, elapsed.Round(time.Millisecond), hwmBefore>>10, hwmAfter>>10, rss>>10)
		if hwmAfter-hwmBefore > 100<<10 {
			t.Errorf("server peak RSS grew by %d MB on a %d-byte upload", (hwmAfter-hwmBefore)>>10, len(flood))
		}
		if rss > 500<<10 {
			t.Errorf("server RSS is %d MB after the pixel flood", rss>>10)
		}
	})

	// Every refusal so far left nothing behind.
	if _, total := c.listTasks(t); total != 0 {
		t.Errorf("after refused uploads the user has %d tasks, want 0", total)
	}

	t.Run("unreadable inputs fail, the worker carries on", func(t *testing.T) {
		full := patternPNG(t, 1200, 800)
		truncated := full[:len(full)*6/10]
		corruptPDF := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("\x00garbage\xff not an object "), 200)...)
		created := c.upload(t, [][2]string{{"outputs", "txt"}},
			upload{Name: "truncated.png", Data: truncated},
			upload{Name: "corrupt.pdf", Data: corruptPDF})
		for _, tk := range created {
			got := c.waitTerminal(t, tk.ID, 2*time.Minute)
			if got.Status != "failed" {
				t.Errorf("%s: ended %s, want failed (error %q, pages %d/%d)", got.Filename, got.Status, got.Error, got.PagesDone, got.PagesTotal)
				continue
			}
			checkReadableError(t, got, s.cfg.DataDir)
			t.Logf("%s failed: %q", got.Filename, got.Error)
		}
		next := c.upload(t, [][2]string{{"outputs", "txt"}}, corpusUpload(t, "pages/phototest.tif"))[0]
		done := c.waitStatus(t, next.ID, "completed", 2*time.Minute)
		if txt := string(c.downloadKind(t, done, "txt")); !strings.Contains(txt, "quick") {
			t.Errorf("the good task after the bad ones has text %q", truncate(txt, 200))
		}
	})

	t.Run("hostile filenames", func(t *testing.T) {
		long := strings.Repeat("ä", 150) + ".png" // 304 bytes, 154 characters
		names := []upload{
			{Name: "../../etc/passwd.png", Data: good},
			{Name: "a/b/c.png", Data: good},
			{Name: `..\..\windows\win.png`, Data: good},
			// RFC 2231 encoding carries a NUL past the MIME parser to the server's name handling.
			{RawDisposition: "form-data; name=\"file\"; filename*=UTF-8''nul%00byte.png", Data: good},
			{Name: strings.Repeat("x", 296) + ".png", Data: good},
			{Name: long, Data: good},
		}
		created := c.upload(t, [][2]string{{"outputs", "txt"}}, names...)
		checkName := func(where, name string) {
			t.Helper()
			if name == "" || strings.ContainsAny(name, "/\\\x00") || len(name) > 200 || !utf8.ValidString(name) || name == ".." {
				t.Errorf("%s: unsafe display name %q (%d bytes)", where, name, len(name))
			}
		}
		for i, tk := range created {
			checkName("upload answer "+strconv.Itoa(i), tk.Filename)
			t.Logf("%q → %q", truncate(names[i].Name+names[i].RawDisposition, 60), tk.Filename)
		}
		for i, tk := range created {
			got := c.waitTerminal(t, tk.ID, 2*time.Minute)
			checkName("task "+strconv.Itoa(i), got.Filename)
			in, ok := got.file("input")
			if !ok {
				t.Errorf("task %d has no input file", i)
				continue
			}
			checkName("input file "+strconv.Itoa(i), in.Name)
			r := c.download(t, got.ID, in.ID)
			if !bytes.Equal(r.Body, good) {
				t.Errorf("task %d: the stored input differs from the upload", i)
			}
			cd := r.Header.Get("Content-Disposition")
			if _, params, err := mime.ParseMediaType(cd); err != nil || strings.ContainsAny(params["filename"], "/\\\x00") {
				t.Errorf("task %d: Content-Disposition %q: %v", i, cd, err)
			}
		}
		for _, p := range []string{
			filepath.Join(s.cfg.DataDir, "etc", "passwd.png"),
			filepath.Join(filepath.Dir(s.cfg.DataDir), "etc", "passwd.png"),
			filepath.Join(s.cfg.DataDir, "files", "a"),
		} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s exists: a client name became a path", p)
			}
		}
		checkFileTree(t, s.cfg.DataDir)
	})

	t.Run("raw NUL in the part header", func(t *testing.T) {
		// A NUL byte is not allowed in a MIME header line; refusing the
		// upload as malformed is as good as accepting it under a clean name.
		_, before := c.listTasks(t)
		r := c.uploadRaw(t, [][2]string{{"outputs", "txt"}},
			upload{RawDisposition: "form-data; name=\"file\"; filename=\"nul\x00byte.png\"", Data: good})
		switch r.Status {
		case http.StatusAccepted:
			var v struct {
				Tasks []task `json:"tasks"`
			}
			r.JSON(t, &v)
			for _, tk := range v.Tasks {
				if strings.ContainsAny(tk.Filename, "/\\\x00") || tk.Filename == "" {
					t.Errorf("unsafe display name %q", tk.Filename)
				}
				c.waitTerminal(t, tk.ID, 2*time.Minute)
			}
		case http.StatusUnprocessableEntity, http.StatusBadRequest:
			e := r.apiError(t)
			t.Logf("refused: %d %s: %q", r.Status, e.Error.Code, e.Error.Message)
			if _, after := c.listTasks(t); after != before {
				t.Errorf("a refused upload changed the task count from %d to %d", before, after)
			}
		default:
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	})

	t.Run("connection stays in sync after an early refusal", func(t *testing.T) {
		testPipelinedRefusal(t, s, c)
	})

	t.Run("limits", func(t *testing.T) { testUploadLimits(t) })
}

// testUploadLimits runs a server with max_pages 2 and max_upload_mb 1.
func testUploadLimits(t *testing.T) {
	dataDir := t.TempDir()
	ls := startTestServer(t, serverConfig{Bin: binPath, DataDir: dataDir,
		Env: []string{"OCRBOX_LIMITS_MAX_PAGES=2", "OCRBOX_SERVER_MAX_UPLOAD_MB=1"}})
	c, u := newUser(t, ls, "limits", "Limits")

	t.Run("too many pages", func(t *testing.T) {
		r := c.uploadRaw(t, nil, corpusUpload(t, "multipage/four-pages.tif"))
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("four pages with max_pages 2: status %d, want 413: %s", r.Status, r.Body)
		}
		e := r.apiError(t)
		t.Logf("413 %s: %s", e.Error.Code, e.Error.Message)
	})

	t.Run("over the size limit", func(t *testing.T) {
		big := pixelFloodPNG(t, 1000, 1000)
		big = append(big[:len(big)-12], bytes.Repeat([]byte{0x5a}, 3<<20)...) // header + 3 MB junk
		body, ct := multipartBody(t, nil, []upload{{Name: "big.png", Data: big}})
		r := c.rawPost(t, ls.addr, "/tasks", ct, body.Bytes())
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("3 MB with max_upload_mb 1: status %d, want 413: %s", r.Status, truncate(string(r.Body), 300))
		}
		e := r.apiError(t)
		t.Logf("413 %s: %s", e.Error.Code, e.Error.Message)
		userDir := filepath.Join(dataDir, "files", u.ID)
		entries, err := os.ReadDir(userDir)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range entries {
			t.Errorf("left behind after the 413: %s", filepath.Join(userDir, e.Name()))
		}
	})

	if _, total := c.listTasks(t); total != 0 {
		t.Errorf("after refused uploads the user has %d tasks, want 0", total)
	}
	// The refusals did not wedge the server: a small upload still works.
	tk := c.upload(t, [][2]string{{"outputs", "txt"}}, corpusUpload(t, "pages/phototest.tif"))[0]
	c.waitStatus(t, tk.ID, "completed", 2*time.Minute)
}

// testPipelinedRefusal sends, on one keep-alive connection, an upload the
// server refuses after its first part (unknown language) followed by a
// second request. The second request must get its own answer, or the
// connection must end; it must never be answered with what the server made
// of the unread rest of the upload body.
func testPipelinedRefusal(t *testing.T, s *server, c *client) {
	body, ct := multipartBody(t, [][2]string{{"lang", "xxx"}}, []upload{corpusUpload(t, "multipage/four-pages.tif")})
	conn, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST /api/v1/tasks HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		s.addr, c.token, ct, body.Len())
	req.Write(body.Bytes())
	fmt.Fprintf(&req, "GET /api/v1/auth/me HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", s.addr, c.token)
	go func() { _, _ = conn.Write(req.Bytes()) }()

	br := bufio.NewReader(conn)
	first, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read the answer to the upload: %v", err)
	}
	firstBody, _ := io.ReadAll(first.Body)
	if first.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("upload with lang=xxx: status %d, want 422: %s", first.StatusCode, truncate(string(firstBody), 300))
	}
	second, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Logf("the server closed the connection after the refusal (%v): fine", err)
		return
	}
	secondBody, _ := io.ReadAll(second.Body)
	if second.StatusCode != http.StatusOK || !strings.Contains(string(secondBody), `"user"`) {
		t.Errorf("the request after a refused upload on the same connection got %d %s: %s\n"+
			"(the server answered the unread rest of the upload body as if it were a new request)",
			second.StatusCode, second.Status, truncate(string(secondBody), 300))
	}
}
