package httpapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/andybalholm/brotli"
)

func TestAcceptsEncoding(t *testing.T) {
	tests := []struct {
		header, coding string
		want           bool
	}{
		{"gzip, deflate, br", "br", true},
		{"gzip, deflate, br", "gzip", true},
		{"gzip;q=0.5, br;q=0", "br", false},
		{"gzip;q=0.5, br;q=0", "gzip", true},
		{"*", "br", true},
		{"*;q=0, gzip", "br", false},
		{"identity", "gzip", false},
		{"", "gzip", false},
		{"GZIP", "gzip", true},
	}
	for _, tc := range tests {
		if got := acceptsEncoding(tc.header, tc.coding); got != tc.want {
			t.Errorf("acceptsEncoding(%q, %q) = %v, want %v", tc.header, tc.coding, got, tc.want)
		}
	}
}

// TestUICompressed: the app's text files go compressed to a client that
// accepts it — brotli before gzip, a prebuilt .gz used as it is — always
// with Vary: Accept-Encoding and their own type; small and binary files
// and clients that accept neither get them as they are.
func TestUICompressed(t *testing.T) {
	js := []byte(strings.Repeat("export const hello = 'world';\n", 200))
	css := []byte(strings.Repeat("body { margin: 0 }\n", 200))
	var pregz bytes.Buffer
	zw := gzip.NewWriter(&pregz)
	zw.Write(css)
	zw.Close()
	ui := fstest.MapFS{
		"index.html":              {Data: []byte("<!doctype html><title>ocrbox</title>")},
		"assets/index-abc.js":     {Data: js},
		"assets/index-abc.css":    {Data: css},
		"assets/index-abc.css.gz": {Data: pregz.Bytes()},
		"assets/logo.png":         {Data: bytes.Repeat([]byte{0x89}, 4000)},
	}
	srv := New(nil, nil, nil, nil, nil, Options{UI: ui, SessionLifetime: time.Hour}, slog.New(slog.DiscardHandler))
	get := func(path, ae string) (int, map[string]string, []byte) {
		req := httptest.NewRequest("GET", path, nil)
		if ae != "" {
			req.Header.Set("Accept-Encoding", ae)
		}
		resp, err := srv.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		h := map[string]string{}
		for _, k := range []string{"Content-Encoding", "Content-Type", "Vary", "Cache-Control"} {
			h[k] = resp.Header.Get(k)
		}
		return resp.StatusCode, h, body
	}
	decode := func(enc string, b []byte) []byte {
		var r io.Reader
		switch enc {
		case "br":
			r = brotli.NewReader(bytes.NewReader(b))
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		default:
			return b
		}
		out, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	tests := []struct {
		path, ae, wantEnc, wantType string
		want                        []byte
		wantVary                    bool
	}{
		{"/assets/index-abc.js", "gzip, deflate, br", "br", "text/javascript; charset=utf-8", js, true},
		{"/assets/index-abc.js", "gzip", "gzip", "text/javascript; charset=utf-8", js, true},
		{"/assets/index-abc.js", "", "", "text/javascript; charset=utf-8", js, true},
		{"/assets/index-abc.css", "gzip", "gzip", "text/css; charset=utf-8", css, true},
		{"/assets/logo.png", "gzip, br", "", "image/png", ui["assets/logo.png"].Data, false},
		{"/", "gzip, br", "", "text/html; charset=utf-8", ui["index.html"].Data, true}, // too small to pay
		{"/history", "gzip", "", "text/html; charset=utf-8", ui["index.html"].Data, true},
	}
	for _, tc := range tests {
		status, h, body := get(tc.path, tc.ae)
		if status != 200 || h["Content-Encoding"] != tc.wantEnc || h["Content-Type"] != tc.wantType {
			t.Errorf("GET %s (%q): %d, encoding %q type %q; want encoding %q type %q", tc.path, tc.ae, status, h["Content-Encoding"], h["Content-Type"], tc.wantEnc, tc.wantType)
			continue
		}
		if got := strings.Contains(h["Vary"], "Accept-Encoding"); got != tc.wantVary {
			t.Errorf("GET %s: Vary %q", tc.path, h["Vary"])
		}
		if !bytes.Equal(decode(tc.wantEnc, body), tc.want) {
			t.Errorf("GET %s (%q): body differs after decoding", tc.path, tc.ae)
		}
		if tc.wantEnc != "" && len(body) >= len(tc.want) {
			t.Errorf("GET %s: compressed %d ≥ %d bytes", tc.path, len(body), len(tc.want))
		}
	}
	// The prebuilt .gz is what is sent.
	if _, _, body := get("/assets/index-abc.css", "gzip"); !bytes.Equal(body, pregz.Bytes()) {
		t.Errorf("the build's .gz was not used")
	}
	if _, h, _ := get("/assets/index-abc.js", "br"); h["Cache-Control"] != "public, max-age=31536000, immutable" {
		t.Errorf("asset Cache-Control %q", h["Cache-Control"])
	}
}
