package httpapi

import (
	"bytes"
	"io"
	"io/fs"
	"mime"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/gzip"
)

// The browser app's text files (the JS bundle is 320 KB, 90 KB gzipped,
// 80 KB with brotli) are sent compressed to a browser that accepts it
// (issue 15, rough edge 15). Compressed copies come from the build when
// it put them beside the file (X.br, X.gz: Vite's compression plugin) and
// are otherwise made here once, at the first request, and kept: the files
// are embedded, so they never change while the server runs. Every such
// response says Vary: Accept-Encoding.

// minCompressBytes: smaller files are sent as they are.
const minCompressBytes = 1024

// compressible reports a file type worth compressing.
func compressible(name string) bool {
	switch path.Ext(name) {
	case ".js", ".mjs", ".css", ".html", ".svg", ".json", ".txt", ".map", ".ico", ".webmanifest", ".xml":
		return true
	}
	return false
}

// uiEncodings keeps the compressed forms of the app's files.
type uiEncodings struct {
	fsys fs.FS
	mu   sync.Mutex
	m    map[string]*encoded
}

// encoded is one file's forms; nil when that encoding does not pay.
type encoded struct {
	once     sync.Once
	raw      []byte
	br, gz   []byte
	ctype    string
	loadFail bool
}

func newUIEncodings(fsys fs.FS) *uiEncodings {
	return &uiEncodings{fsys: fsys, m: map[string]*encoded{}}
}

// get returns name's forms, making them at the first call.
func (u *uiEncodings) get(name string) *encoded {
	u.mu.Lock()
	e := u.m[name]
	if e == nil {
		e = &encoded{}
		u.m[name] = e
	}
	u.mu.Unlock()
	e.once.Do(func() { u.load(name, e) })
	return e
}

func (u *uiEncodings) load(name string, e *encoded) {
	raw, err := fs.ReadFile(u.fsys, name)
	if err != nil {
		e.loadFail = true
		return
	}
	e.raw = raw
	e.ctype = mime.TypeByExtension(path.Ext(name))
	if e.ctype == "" {
		e.ctype = "application/octet-stream"
	}
	if len(raw) < minCompressBytes {
		return
	}
	e.br = u.variant(name+".br", raw, func(w io.Writer) io.WriteCloser { return brotli.NewWriterLevel(w, 9) })
	e.gz = u.variant(name+".gz", raw, func(w io.Writer) io.WriteCloser {
		zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression) // a valid level: no error
		return zw
	})
}

// variant is the build's compressed copy of a file when there is one, else
// the file compressed here; nil when compression does not make it smaller.
func (u *uiEncodings) variant(prebuilt string, raw []byte, writer func(io.Writer) io.WriteCloser) []byte {
	if b, err := fs.ReadFile(u.fsys, prebuilt); err == nil && len(b) > 0 {
		return b
	}
	var buf bytes.Buffer
	w := writer(&buf)
	if _, err := w.Write(raw); err != nil {
		return nil
	}
	if err := w.Close(); err != nil || buf.Len() >= len(raw) {
		return nil
	}
	return buf.Bytes()
}

// acceptsEncoding reports whether an Accept-Encoding header allows coding
// (q=0 refuses; "*" allows any not named).
func acceptsEncoding(header, coding string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch name {
		case coding:
			return q > 0
		case "*":
			star = q > 0
		}
	}
	return star
}

// serve answers with name compressed when the client accepts it; false
// when name is not compressible here (the caller serves it plainly).
func (u *uiEncodings) serve(c *fiber.Ctx, name string) bool {
	if !compressible(name) {
		return false
	}
	e := u.get(name)
	if e.loadFail {
		return false
	}
	c.Vary(fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderContentType, e.ctype)
	ae := c.Get(fiber.HeaderAcceptEncoding)
	body := e.raw
	switch {
	case e.br != nil && acceptsEncoding(ae, "br"):
		c.Set(fiber.HeaderContentEncoding, "br")
		body = e.br
	case e.gz != nil && acceptsEncoding(ae, "gzip"):
		c.Set(fiber.HeaderContentEncoding, "gzip")
		body = e.gz
	}
	c.Status(fiber.StatusOK)
	if c.Method() == fiber.MethodHead {
		c.Set(fiber.HeaderContentLength, strconv.Itoa(len(body)))
		return true
	}
	_ = c.Send(body) // never fails: it only sets the body
	return true
}
