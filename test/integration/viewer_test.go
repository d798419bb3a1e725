package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/tiff"
)

// pageImage fetches page n of a task at width and checks it is a PNG of
// at most that width; it returns the image's size.
func pageImage(t *testing.T, c *client, id string, n, width int) (w, h int, body []byte) {
	t.Helper()
	r := c.get(t, fmt.Sprintf("/tasks/%s/pages/%d/image?width=%d", id, n, width))
	if r.Status != http.StatusOK {
		t.Fatalf("page %d image: %d %s", n, r.Status, truncate(string(r.Body), 300))
	}
	if ct := r.Header.Get("Content-Type"); ct != "image/png" {
		t.Errorf("Content-Type %q, want image/png", ct)
	}
	if !bytes.HasPrefix(r.Body, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("page %d image is not a PNG: % x", n, r.Body[:min(len(r.Body), 8)])
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Width, cfg.Height, r.Body
}

// TestPageImage: the result viewer's page images (issue 15) of a TIFF
// page and a PDF page, at the width asked for (rounded up to the next
// allowed one), the second request served from the task's directory;
// another user's task is refused, a bad page or width is 422, and every
// attempt is audited.
func TestPageImage(t *testing.T) {
	s := sharedServer(t)
	alice, aliceUser := newUser(t, s, "viewer", "Viewer")
	bob, _ := newUser(t, s, "viewer-bob", "Bob")
	tif := alice.upload(t, [][2]string{{"outputs", "txt"}}, corpusUpload(t, "multipage/four-pages.tif"))[0]
	pdf := alice.upload(t, [][2]string{{"outputs", "txt,hocr,json,pdf"}}, corpusUpload(t, "multipage/three-pages.pdf"))[0]
	for _, tk := range []task{tif, pdf} {
		alice.waitStatus(t, tk.ID, "completed", 4*time.Minute)
	}

	// Issue 15, rough edge 5: every file of a PDF task has its own name.
	t.Run("download names", func(t *testing.T) {
		done := alice.getTask(t, pdf.ID)
		want := map[string]string{"input": "three-pages.pdf", "pdf": "three-pages.ocr.pdf", "txt": "three-pages.txt",
			"hocr": "three-pages.hocr.html", "json": "three-pages.json"}
		for kind, name := range want {
			f, ok := done.file(kind)
			if !ok || f.Name != name {
				t.Errorf("%s file %+v, want the name %q", kind, f, name)
				continue
			}
			r := alice.download(t, pdf.ID, f.ID)
			if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="`+name+`"`) {
				t.Errorf("%s: Content-Disposition %q, want %q", kind, cd, name)
			}
		}
	})

	for _, tc := range []struct {
		name         string
		id           string
		page, width  int
		wantW        int
		wantPortrait bool
	}{
		{"tiff page 2", tif.ID, 2, 600, 640, true},
		{"pdf page 3", pdf.ID, 3, 320, 320, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, h, first := pageImage(t, alice, tc.id, tc.page, tc.width)
			if w != tc.wantW || (tc.wantPortrait && h <= w) {
				t.Errorf("image %dx%d, want %d wide, portrait", w, h, tc.wantW)
			}
			cached, _ := filepath.Glob(filepath.Join(taskDir(s.cfg.DataDir, aliceUser.ID, tc.id), fmt.Sprintf("preview-p%04d-w%d-*.png", tc.page, tc.wantW)))
			if len(cached) != 1 {
				t.Fatalf("cached images %v, want one", cached)
			}
			st1, err := os.Stat(cached[0])
			if err != nil {
				t.Fatal(err)
			}
			_, _, second := pageImage(t, alice, tc.id, tc.page, tc.wantW)
			st2, err := os.Stat(cached[0])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, second) || !st2.ModTime().Equal(st1.ModTime()) {
				t.Errorf("the second request rendered the page again (cache %v → %v)", st1.ModTime(), st2.ModTime())
			}
		})
	}

	for _, tc := range []struct {
		path string
		want int
	}{
		{"/pages/4/image", http.StatusUnprocessableEntity}, // three pages
		{"/pages/0/image", http.StatusUnprocessableEntity},
		{"/pages/x/image", http.StatusUnprocessableEntity},
		{"/pages/1/image?width=2001", http.StatusUnprocessableEntity},
		{"/pages/1/image?width=abc", http.StatusUnprocessableEntity},
	} {
		if r := alice.get(t, "/tasks/"+pdf.ID+tc.path); r.Status != tc.want {
			t.Errorf("GET %s: %d, want %d: %s", tc.path, r.Status, tc.want, truncate(string(r.Body), 200))
		} else if e := r.apiError(t); e.Error.Code != "invalid_parameter" {
			t.Errorf("GET %s: code %q", tc.path, e.Error.Code)
		}
	}
	r := bob.get(t, "/tasks/"+pdf.ID+"/pages/1/image")
	if r.Status != http.StatusForbidden || bytes.Contains(r.Body, []byte(pdf.ID)) {
		t.Errorf("bob's request for alice's page: %d %s", r.Status, truncate(string(r.Body), 200))
	}

	var audit struct {
		Items []struct {
			TaskID string `json:"task_id"`
			FileID string `json:"file_id"`
			Action string `json:"action"`
			Result string `json:"result"`
		} `json:"items"`
	}
	alice.get(t, "/audit?limit=100").JSON(t, &audit)
	allowed := 0
	for _, ev := range audit.Items {
		if ev.Action == "page_image" && ev.Result == "allowed" {
			allowed++
		}
	}
	if allowed != 4 {
		t.Errorf("alice's audit has %d allowed page_image events, want 4: %+v", allowed, audit.Items)
	}
	bob.get(t, "/audit?limit=100").JSON(t, &audit)
	if len(audit.Items) != 1 || audit.Items[0].Action != "page_image" || audit.Items[0].Result != "denied" {
		t.Errorf("bob's audit: %+v, want one denied page_image", audit.Items)
	}
}

// corruptTIFF is a TIFF whose header and directory are sound (the server's
// checks at upload pass) but whose pixels lie past the end of the file: the
// page helper fails it, and would every time.
func corruptTIFF() []byte {
	var b bytes.Buffer
	le16 := func(v uint16) { b.WriteByte(byte(v)); b.WriteByte(byte(v >> 8)) }
	le32 := func(v uint32) { le16(uint16(v)); le16(uint16(v >> 16)) }
	b.WriteString("II*\x00")
	le32(8)
	entries := [][3]uint32{ // tag, type (3 SHORT, 4 LONG), value
		{256, 3, 100}, {257, 3, 100}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
		{273, 4, 1 << 20}, {277, 3, 1}, {278, 3, 100}, {279, 4, 10000},
	}
	le16(uint16(len(entries)))
	for _, e := range entries {
		le16(uint16(e[0]))
		le16(uint16(e[1]))
		le32(1)
		if e[1] == 3 {
			le16(uint16(e[2]))
			le16(0)
		} else {
			le32(e[2])
		}
	}
	le32(0)
	b.Write(make([]byte, 256))
	return b.Bytes()
}

// TestRetryPermanentFailure (issue 15, rough edge 11): a corrupt TIFF
// fails with retryable false and its code; retry is 409 not_retryable and
// changes nothing; force=true queues it again.
func TestRetryPermanentFailure(t *testing.T) {
	s := sharedServer(t)
	c, _ := newUser(t, s, "retry", "Retry")
	tk := c.upload(t, [][2]string{{"outputs", "txt"}}, upload{Name: "corrupt.tif", Data: corruptTIFF()})[0]
	var failed struct {
		Status    string `json:"status"`
		Error     string `json:"error"`
		ErrorCode string `json:"error_code"`
		Retryable *bool  `json:"retryable"`
	}
	c.waitTerminal(t, tk.ID, 2*time.Minute)
	c.get(t, "/tasks/"+tk.ID).JSON(t, &failed)
	if failed.Status != "failed" || failed.Retryable == nil || *failed.Retryable || failed.ErrorCode != "unreadable_input" {
		t.Fatalf("corrupt TIFF ended %+v, want failed, unreadable_input, not retryable", failed)
	}
	r := c.postJSON(t, "/tasks/"+tk.ID+"/retry", nil)
	if r.Status != http.StatusConflict {
		t.Fatalf("retry of a permanent failure: %d %s, want 409", r.Status, truncate(string(r.Body), 300))
	}
	if e := r.apiError(t); e.Error.Code != "not_retryable" {
		t.Errorf("code %q, want not_retryable", e.Error.Code)
	}
	if got := c.getTask(t, tk.ID); got.Status != "failed" || got.Attempts != 1 {
		t.Errorf("the refused retry changed the task: %+v", got)
	}
	if r := c.postJSON(t, "/tasks/"+tk.ID+"/retry?force=maybe", nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("force=maybe: %d, want 422", r.Status)
	}
	if r := c.postJSON(t, "/tasks/"+tk.ID+"/retry?force=true", nil); r.Status != http.StatusAccepted {
		t.Fatalf("forced retry: %d %s, want 202", r.Status, truncate(string(r.Body), 300))
	}
	if got := c.waitTerminal(t, tk.ID, 2*time.Minute); got.Status != "failed" || got.Attempts != 2 {
		t.Errorf("forced retry ended %+v, want failed again after a second attempt", got)
	}
}

// blurredPage is phototest.tif in gray, box-blurred with radius r: the
// engine still finds words, with a low confidence.
func blurredPage(t *testing.T, r int) []byte {
	t.Helper()
	src, err := tiff.Decode(bytes.NewReader(corpus(t, "pages/phototest.tif")))
	if err != nil {
		t.Fatal(err)
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			g.Set(x, y, color.GrayModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)))
		}
	}
	out := image.NewGray(g.Rect)
	for y := range h {
		for x := range w {
			sum, n := 0, 0
			for yy := max(0, y-r); yy <= min(h-1, y+r); yy++ {
				for xx := max(0, x-r); xx <= min(w-1, x+r); xx++ {
					sum += int(g.Pix[yy*g.Stride+xx])
					n++
				}
			}
			out.Pix[y*out.Stride+x] = uint8(sum / n)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReviewFlag (issue 15): a heavily blurred page completes with a
// review naming the page and its low mean confidence; a clean page
// completes with none.
func TestReviewFlag(t *testing.T) {
	s := sharedServer(t)
	c, _ := newUser(t, s, "review", "Review")
	created := c.upload(t, [][2]string{{"outputs", "txt"}},
		upload{Name: "blurred.png", Data: blurredPage(t, 5)}, corpusUpload(t, "pages/phototest.tif"))
	type review struct {
		Reason    string  `json:"reason"`
		Threshold float64 `json:"threshold"`
		Pages     []struct {
			Page           int     `json:"page"`
			MeanConfidence float64 `json:"mean_confidence"`
		} `json:"pages"`
	}
	var got [2]struct {
		Status string  `json:"status"`
		Review *review `json:"review"`
	}
	for i, tk := range created {
		c.waitStatus(t, tk.ID, "completed", 3*time.Minute)
		r := c.get(t, "/tasks/"+tk.ID)
		r.JSON(t, &got[i])
		var raw map[string]any
		r.JSON(t, &raw)
		if _, ok := raw["review"]; !ok {
			t.Errorf("%s: no review field: %s", tk.Filename, truncate(string(r.Body), 300))
		}
	}
	blurred, clean := got[0].Review, got[1].Review
	if blurred == nil || len(blurred.Pages) != 1 || blurred.Pages[0].Page != 1 || blurred.Threshold != 60 ||
		blurred.Pages[0].MeanConfidence >= 60 || !strings.Contains(blurred.Reason, "page 1: mean confidence") {
		t.Errorf("blurred page review %+v, want page 1 below 60", blurred)
	} else {
		t.Logf("blurred page: %s", blurred.Reason)
	}
	if clean != nil {
		t.Errorf("clean page review %+v, want none", clean)
	}
}

// TestMatches (issue 15): the words of a history query in phototest's
// page 1, where the JSON result has them, found whatever their case;
// another user is refused; an empty q is 422.
func TestMatches(t *testing.T) {
	s := sharedServer(t)
	c, _ := newUser(t, s, "matches", "Matches")
	bob, _ := newUser(t, s, "matches-bob", "Bob")
	tk := c.upload(t, [][2]string{{"outputs", "json"}}, corpusUpload(t, "pages/phototest.tif"))[0]
	done := c.waitStatus(t, tk.ID, "completed", 3*time.Minute)
	var doc struct {
		Pages []struct {
			Words []struct {
				Text string `json:"text"`
				BBox [4]int `json:"bbox"`
			} `json:"words"`
		} `json:"pages"`
	}
	if err := json.Unmarshal(c.downloadKind(t, done, "json"), &doc); err != nil {
		t.Fatal(err)
	}
	var want [][4]int
	for _, w := range doc.Pages[0].Words {
		if strings.EqualFold(strings.Trim(w.Text, ".,;:"), "quick") {
			want = append(want, w.BBox)
		}
	}
	if len(want) == 0 {
		t.Fatalf("the JSON has no 'quick' on page 1")
	}
	var m struct {
		Terms []string `json:"terms"`
		Pages []struct {
			Page          int `json:"page"`
			Width, Height int
			Boxes         []struct {
				X, Y, W, H int
				Word       string
			} `json:"boxes"`
		} `json:"pages"`
	}
	r := c.get(t, "/tasks/"+tk.ID+"/matches?q=QUICK")
	if r.Status != http.StatusOK {
		t.Fatalf("matches: %d %s", r.Status, truncate(string(r.Body), 300))
	}
	r.JSON(t, &m)
	if len(m.Pages) != 1 || m.Pages[0].Page != 1 || len(m.Pages[0].Boxes) != len(want) || m.Pages[0].Width == 0 {
		t.Fatalf("matches %+v, want page 1 with %d boxes", m, len(want))
	}
	for i, b := range m.Pages[0].Boxes {
		w := want[i]
		if b.X != w[0] || b.Y != w[1] || b.X+b.W != w[2] || b.Y+b.H != w[3] {
			t.Errorf("box %+v, the JSON has %v", b, w)
		}
	}
	if r := c.get(t, "/tasks/"+tk.ID+"/matches?q=zebra"); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"pages":[]`) {
		t.Errorf("no match: %d %s", r.Status, r.Body)
	}
	if r := c.get(t, "/tasks/"+tk.ID+"/matches?q="); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("empty q: %d, want 422", r.Status)
	}
	if r := bob.get(t, "/tasks/"+tk.ID+"/matches?q=quick"); r.Status != http.StatusForbidden || strings.Contains(string(r.Body), "quick") {
		t.Errorf("bob: %d %s, want 403", r.Status, r.Body)
	}
}

// TestHistoryLocalDay (issue 15, rough edge 1): a day of the viewer's own
// time zone is asked for with tz (date-only bounds) or with RFC 3339
// bounds carrying the offset; the UTC day next to it does not match.
func TestHistoryLocalDay(t *testing.T) {
	s := sharedServer(t)
	c, _ := newUser(t, s, "localday", "Local Day")
	tk := c.upload(t, [][2]string{{"outputs", "txt"}}, upload{Name: "localday.png", Data: patternPNG(t, 200, 80)})[0]
	created := c.getTask(t, tk.ID).CreatedAt.UTC()
	// An offset whose local day differs from the UTC day of created.
	tz, zone := "+14:00", time.FixedZone("+14", 14*3600)
	if created.Hour() < 10 {
		tz, zone = "-12:00", time.FixedZone("-12", -12*3600)
	}
	localDay := created.In(zone).Format(time.DateOnly)
	if localDay == created.Format(time.DateOnly) {
		t.Fatalf("local day %s equals the UTC day", localDay)
	}
	count := func(query string) int {
		var list struct {
			Total int `json:"total"`
		}
		r := c.get(t, "/history?"+query)
		if r.Status != http.StatusOK {
			t.Fatalf("history?%s: %d %s", query, r.Status, truncate(string(r.Body), 300))
		}
		r.JSON(t, &list)
		return list.Total
	}
	esc := func(s string) string { return strings.ReplaceAll(s, "+", "%2B") }
	// The index follows the store: wait for the task to be searchable.
	deadline := time.Now().Add(30 * time.Second)
	for count("from="+created.Format(time.DateOnly)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the task never appeared in the history")
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"local day with tz", "from=" + localDay + "&to=" + localDay + "&tz=" + esc(tz), 1},
		{"local day as UTC", "from=" + localDay + "&to=" + localDay, 0},
		{"local day as RFC 3339 bounds", "from=" + esc(localDay+"T00:00:00"+tz) + "&to=" + esc(localDay+"T23:59:59.999"+tz), 1},
		{"UTC day with tz", "from=" + created.Format(time.DateOnly) + "&to=" + created.Format(time.DateOnly) + "&tz=" + esc(tz), 0},
	} {
		if got := count(tc.query); got != tc.want {
			t.Errorf("%s (%s): %d tasks, want %d", tc.name, tc.query, got, tc.want)
		}
	}
	if r := c.get(t, "/history?from="+localDay+"&tz=Pacific/Kiritimati"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("tz as a zone name: %d, want 422", r.Status)
	}
}

// TestUIAssetsCompressed (issue 15, rough edge 15): the app's script goes
// compressed (brotli, else gzip) with Vary: Accept-Encoding and its type.
func TestUIAssetsCompressed(t *testing.T) {
	s := sharedServer(t)
	hc := s.httpClient(30 * time.Second)
	get := func(path, ae string) (*http.Response, []byte) {
		req, err := http.NewRequest(http.MethodGet, s.baseURL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Encoding", ae) // set by hand: Go then does not decode
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	_, index := get("/", "identity")
	script := regexp.MustCompile(`src="(/assets/[^"]+\.js)"`).FindSubmatch(index)
	if script == nil {
		t.Fatalf("no script in index.html: %s", truncate(string(index), 500))
	}
	path := string(script[1])
	plain, raw := get(path, "identity")
	if plain.Header.Get("Content-Encoding") != "" || !strings.HasPrefix(plain.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("identity: encoding %q type %q", plain.Header.Get("Content-Encoding"), plain.Header.Get("Content-Type"))
	}
	for _, tc := range []struct{ ae, want string }{{"gzip, deflate, br", "br"}, {"gzip", "gzip"}} {
		resp, body := get(path, tc.ae)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != tc.want ||
			!strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
			t.Errorf("%q: %d encoding %q vary %q type %q", tc.ae, resp.StatusCode, resp.Header.Get("Content-Encoding"),
				resp.Header.Get("Vary"), resp.Header.Get("Content-Type"))
		}
		if len(body)*2 > len(raw) {
			t.Errorf("%s: %d bytes of %d, want less than half", tc.want, len(body), len(raw))
		}
		t.Logf("%s: %d → %d bytes (%s)", path, len(raw), len(body), tc.want)
	}
}

// TestPageImageUpright: a page uploaded turned a quarter comes back
// upright once recognised, the size of the page the JSON's boxes are in.
func TestPageImageUpright(t *testing.T) {
	s := sharedServer(t)
	c, _ := newUser(t, s, "upright", "Upright")
	tk := c.upload(t, [][2]string{{"outputs", "json"}}, corpusUpload(t, "pages/phototest-rotated-L.png"))[0]
	done := c.waitStatus(t, tk.ID, "completed", 3*time.Minute)
	var doc struct {
		Pages []struct {
			Width, Height int
			Orientation   struct{ Degrees int }
		} `json:"pages"`
	}
	if err := json.Unmarshal(c.downloadKind(t, done, "json"), &doc); err != nil {
		t.Fatal(err)
	}
	p := doc.Pages[0]
	if p.Orientation.Degrees != 90 && p.Orientation.Degrees != 270 {
		t.Fatalf("the engine found the page at %d°, want a quarter turn", p.Orientation.Degrees)
	}
	w, h, body := pageImage(t, c, tk.ID, 1, 2000)
	if w != p.Width || h != p.Height || w <= h {
		t.Fatalf("page image %dx%d, the JSON's page %dx%d (upright, landscape)", w, h, p.Width, p.Height)
	}
	// Upright, not upside down: closer to phototest.tif than to it turned
	// half a turn.
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := tiff.Decode(bytes.NewReader(corpus(t, "pages/phototest.tif")))
	if err != nil {
		t.Fatal(err)
	}
	rb := ref.Bounds()
	if rb.Dx() != w || rb.Dy() != h {
		t.Fatalf("phototest.tif is %dx%d, the page image %dx%d", rb.Dx(), rb.Dy(), w, h)
	}
	gray := func(im image.Image, x, y int) int {
		return int(color.GrayModel.Convert(im.At(im.Bounds().Min.X+x, im.Bounds().Min.Y+y)).(color.Gray).Y)
	}
	var same, turned int
	for y := 0; y < h; y += 2 {
		for x := 0; x < w; x += 2 {
			g := gray(img, x, y)
			same += abs(g - gray(ref, x, y))
			turned += abs(g - gray(ref, w-1-x, h-1-y))
		}
	}
	if same >= turned {
		t.Errorf("the page image looks upside down (difference upright %d, turned %d)", same, turned)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
