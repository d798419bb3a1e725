package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// allOutputs are the four output kinds the walk-through asks for.
var allOutputs = []string{"txt", "hocr", "json", "pdf"}

// TestWalkthrough follows README.md's curl walk-through with the real
// binary: account from the CLI, sign-in, a three-file upload, progress to
// completed, every output downloaded and checked, and the accuracy of the
// text against the corpus ground truth and the tesseract CLI.
func TestWalkthrough(t *testing.T) {
	s := sharedServer(t)

	email := "alice-" + randomHex(4) + "@example.org"
	password := "correct horse battery"
	res, err := runCLI(binPath, s.cfg.DataDir, password+"\n", "users", "add", email, "--name", "Alice", "--password-stdin")
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || !strings.Contains(res.Stdout, "added") {
		t.Fatalf("users add: exit %d, stdout %q, stderr %q", res.ExitCode, res.Stdout, res.Stderr)
	}

	anon := newClient(s)
	r := anon.tryLogin(t, email, password)
	if r.Status != http.StatusOK {
		t.Fatalf("login: status %d: %s", r.Status, r.Body)
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int    `json:"expires_in"`
		RefreshToken string `json:"refresh_token"`
		User         user   `json:"user"`
	}
	r.JSON(t, &tok)
	if tok.AccessToken == "" || !strings.EqualFold(tok.TokenType, "bearer") || tok.ExpiresIn <= 0 || tok.RefreshToken == "" {
		t.Errorf("login response lacks access_token/token_type bearer/expires_in/refresh_token: %s", r.Body)
	}
	c := anon.withToken(tok.AccessToken)
	me := c.me(t)
	if me.Name != "Alice" || me.Email != email || me.ID == "" || me.Provider != "local" {
		t.Errorf("/auth/me = %+v, want name Alice, email %s, provider local and an id", me, email)
	}

	files := []struct {
		rel   string
		pages int
	}{
		{"pages/phototest.tif", 1},
		{"multipage/four-pages.tif", 4},
		{"multipage/three-pages.pdf", 3},
	}
	var ups []upload
	for _, f := range files {
		ups = append(ups, corpusUpload(t, f.rel))
	}
	created := c.upload(t, [][2]string{{"lang", "eng"}, {"outputs", strings.Join(allOutputs, ",")}}, ups...)
	for i, tk := range created {
		want := files[i]
		if tk.ID == "" || tk.Filename != filepath.Base(want.rel) {
			t.Errorf("created task %d: id %q filename %q, want %q", i, tk.ID, tk.Filename, filepath.Base(want.rel))
		}
		if tk.Status != "pending" && tk.Status != "processing" {
			t.Errorf("created task %s: status %q, want pending or processing", tk.Filename, tk.Status)
		}
		if tk.PagesTotal != want.pages {
			t.Errorf("created task %s: pages_total %d at upload, want %d", tk.Filename, tk.PagesTotal, want.pages)
		}
		if tk.Lang != "eng" || tk.Engine != "tesseract" {
			t.Errorf("created task %s: engine %q lang %q, want tesseract eng", tk.Filename, tk.Engine, tk.Lang)
		}
	}

	done := make([]task, len(created))
	for i, tk := range created {
		done[i] = c.waitStatus(t, tk.ID, "completed", 4*time.Minute)
	}
	for i, tk := range done {
		want := files[i].pages
		if tk.PagesTotal != want || tk.PagesDone != tk.PagesTotal {
			t.Errorf("%s: pages %d/%d, want %d/%d", tk.Filename, tk.PagesDone, tk.PagesTotal, want, want)
		}
		if tk.StartedAt == nil || tk.CompletedAt == nil || tk.CompletedAt.Before(*tk.StartedAt) {
			t.Errorf("%s: started_at %v completed_at %v", tk.Filename, tk.StartedAt, tk.CompletedAt)
		}
		if tk.Error != "" {
			t.Errorf("%s: completed with error %q", tk.Filename, tk.Error)
		}
	}

	for i, tk := range done {
		t.Run("outputs/"+tk.Filename, func(t *testing.T) {
			checkOutputs(t, c, tk, files[i].rel)
		})
	}

	t.Run("accuracy", func(t *testing.T) { checkAccuracy(t, c) })
}

// checkOutputs downloads every file of a completed task and checks each
// format.
func checkOutputs(t *testing.T, c *client, tk task, rel string) {
	for _, kind := range append([]string{"input"}, allOutputs...) {
		f, ok := tk.file(kind)
		if !ok {
			t.Errorf("no %s file in %+v", kind, tk.Files)
			continue
		}
		r := c.download(t, tk.ID, f.ID)
		if int64(len(r.Body)) != f.Size || f.Size == 0 {
			t.Errorf("%s: downloaded %d bytes, files[] says %d", kind, len(r.Body), f.Size)
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
			t.Errorf("%s: Content-Disposition %q, want attachment", kind, cd)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", kind, r.Header.Get("X-Content-Type-Options"))
		}
		if kind == "input" && !bytes.Equal(r.Body, corpus(t, rel)) {
			t.Errorf("input: downloaded bytes differ from the upload")
		}
	}

	txt := string(c.downloadKind(t, tk, "txt"))
	if !validText(txt) || !strings.Contains(txt, "quick") {
		t.Errorf("txt output lacks %q (or is not UTF-8): %q", "quick", truncate(txt, 300))
	}
	checkJSON(t, c.downloadKind(t, tk, "json"), tk.PagesTotal)
	checkHOCR(t, c.downloadKind(t, tk, "hocr"), tk.PagesTotal)

	pdfText := checkPDF(t, c.downloadKind(t, tk, "pdf"), tk.PagesTotal)
	if !strings.Contains(pdfText, "quick") {
		t.Errorf("pdftotext of the searchable PDF lacks %q: %q", "quick", truncate(pdfText, 300))
	}
	if rel == "multipage/three-pages.pdf" {
		e := cer(string(corpus(t, "multipage/three-pages.txt")), pdfText)
		t.Logf("three-pages.pdf: CER of the searchable PDF's text layer = %.2f %%", 100*e)
		if e >= 0.15 {
			t.Errorf("CER of the PDF text layer is %.1f %%, want < 15 %%", 100*e)
		}
	}
}

// ocrJSON is the JSON output as far as the tests read it.
type ocrJSON struct {
	TaskID string `json:"task_id"`
	Pages  []struct {
		Number int    `json:"number"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
		Text   string `json:"text"`
		Words  []struct {
			Text       string  `json:"text"`
			BBox       []int   `json:"bbox"`
			Confidence float64 `json:"confidence"`
		} `json:"words"`
	} `json:"pages"`
}

func checkJSON(t *testing.T, data []byte, pages int) {
	t.Helper()
	var doc ocrJSON
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Errorf("json output does not parse: %v", err)
		return
	}
	if len(doc.Pages) != pages {
		t.Errorf("json output has %d pages, want %d", len(doc.Pages), pages)
	}
	var words []string
	for i, p := range doc.Pages {
		if p.Number != i+1 {
			t.Errorf("json page %d has number %d", i+1, p.Number)
		}
		if p.Width <= 0 || p.Height <= 0 {
			t.Errorf("json page %d: size %dx%d", i+1, p.Width, p.Height)
		}
		if len(p.Words) == 0 {
			t.Errorf("json page %d has no words", i+1)
		}
		bad := 0
		for _, w := range p.Words {
			words = append(words, w.Text)
			ok := len(w.BBox) == 4 && w.BBox[0] >= 0 && w.BBox[1] >= 0 &&
				w.BBox[0] < w.BBox[2] && w.BBox[1] < w.BBox[3] &&
				w.BBox[2] <= p.Width && w.BBox[3] <= p.Height &&
				w.Confidence >= 0 && w.Confidence <= 100
			if !ok {
				if bad < 5 {
					t.Errorf("json page %d (%dx%d): bad word %q bbox %v confidence %v",
						i+1, p.Width, p.Height, w.Text, w.BBox, w.Confidence)
				}
				bad++
			}
		}
		if bad > 5 {
			t.Errorf("json page %d: %d bad words in all", i+1, bad)
		}
	}
	if joined := strings.Join(words, " "); !strings.Contains(joined, "quick") {
		t.Errorf("json words do not contain %q: %q", "quick", truncate(joined, 300))
	}
}

func checkHOCR(t *testing.T, data []byte, pages int) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	n := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Errorf("hocr output is not well-formed XML: %v", err)
			return
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "class" && a.Value == "ocr_page" {
					n++
				}
			}
		}
	}
	if n != pages {
		t.Errorf("hocr output has %d ocr_page elements, want %d", n, pages)
	}
}

var pdfPagesRE = regexp.MustCompile(`(?m)^Pages:\s+(\d+)\s*$`)

// writeTemp writes data to a file in the test's temporary directory.
func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// pdfPages is the page count pdfinfo reports, or -1 when it cannot read
// the file (reported as a test error).
func pdfPages(t *testing.T, data []byte) int {
	t.Helper()
	info, err := exec.Command("pdfinfo", writeTemp(t, "count.pdf", data)).CombinedOutput()
	if err != nil {
		t.Errorf("pdfinfo: %v\n%s", err, info)
		return -1
	}
	m := pdfPagesRE.FindSubmatch(info)
	if m == nil {
		t.Errorf("pdfinfo shows no page count:\n%s", info)
		return -1
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// checkPDF checks the page count with pdfinfo and returns pdftotext's text.
func checkPDF(t *testing.T, data []byte, pages int) string {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Errorf("pdf output does not start with %%PDF-: %q", truncate(string(data), 20))
	}
	path := writeTemp(t, "out.pdf", data)
	if n := pdfPages(t, data); n != pages {
		t.Errorf("pdfinfo: %d pages, want %d", n, pages)
	}
	// -raw keeps the content stream's order, which is the engine's reading
	// order; the default layout mode interleaves the columns of 8087.
	text, err := exec.Command("pdftotext", "-raw", path, "-").Output()
	if err != nil {
		t.Errorf("pdftotext: %v", err)
	}
	return string(text)
}

// accuracyPages are the single pages whose text is compared with the
// ground truth and with the tesseract CLI.
var accuracyPages = []string{"phototest.tif", "eurotext.tif", "8071_093.3B.tif", "8087_054.3B.tif"}

// checkAccuracy uploads each single page and compares the server's CER
// with the tesseract CLI's on the same image: the server may be at most one
// percentage point worse.
func checkAccuracy(t *testing.T, c *client) {
	var ups []upload
	for _, p := range accuracyPages {
		ups = append(ups, corpusUpload(t, "pages/"+p))
	}
	created := c.upload(t, [][2]string{{"lang", "eng"}, {"outputs", "txt"}}, ups...)

	// The CLI baseline runs while the server works.
	cli := make([]string, len(accuracyPages))
	for i, p := range accuracyPages {
		cli[i] = tesseractCLI(t, filepath.Join(corpusDir, "pages", p))
	}

	var table strings.Builder
	fmt.Fprintf(&table, "%-18s %10s %10s\n", "page", "server", "CLI")
	for i, p := range accuracyPages {
		tk := c.waitStatus(t, created[i].ID, "completed", 3*time.Minute)
		if tk.PagesTotal != 1 || tk.PagesDone != 1 {
			t.Errorf("%s: pages %d/%d, want 1/1", p, tk.PagesDone, tk.PagesTotal)
		}
		if _, ok := tk.file("hocr"); ok {
			t.Errorf("%s: outputs=txt produced an hocr file too: %+v", p, tk.Files)
		}
		text := string(c.downloadKind(t, tk, "txt"))
		truth := string(corpus(t, "pages/"+strings.TrimSuffix(p, ".tif")+".txt"))
		serverCER, cliCER := cer(truth, text), cer(truth, cli[i])
		fmt.Fprintf(&table, "%-18s %9.2f%% %9.2f%%\n", p, 100*serverCER, 100*cliCER)
		if serverCER > cliCER+0.01 {
			t.Errorf("%s: server CER %.2f %% is worse than the tesseract CLI's %.2f %% by more than 1 point",
				p, 100*serverCER, 100*cliCER)
		}
	}
	t.Logf("character error rate vs ground truth:\n%s", table.String())
}

// tesseractCLI runs `tesseract IMG - -l eng` single-threaded and returns
// the text.
func tesseractCLI(t *testing.T, img string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "tesseract", img, "-", "-l", "eng")
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tesseract %s: %v\n%s", img, err, stderr.String())
	}
	return string(out)
}
