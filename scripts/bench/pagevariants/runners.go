package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ocrbox/ocrbox/scripts/bench/internal/benchsrv"
)

// outcome is one document through one tool.
type outcome struct {
	text string
	wall time.Duration // the whole job, as the user waits for it
	cpu  time.Duration // user+system of every process the job ran
	note string        // what the tool says it did (ocrbox: orientation and skew per page)
	err  error
}

// tool reads one document; name is the table's column.
type tool interface {
	name() string
	read(ctx context.Context, d *doc, dir string) outcome
}

// --- ocrbox ---------------------------------------------------------------

// ocrbox uploads each document to a throw-away server (the real binary,
// started through benchsrv) and reads the task's txt and json outputs.
type ocrbox struct {
	srv     *benchsrv.Server
	client  *http.Client
	token   string
	lang    string
	outputs string
	fields  [][2]string // extra form fields, e.g. autorotate=false, pdf_text=skip
	timeout time.Duration
}

func (o *ocrbox) name() string { return "ocrbox" }

func (o *ocrbox) read(ctx context.Context, d *doc, _ string) outcome {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	var r outcome
	data, err := os.ReadFile(d.path)
	if err != nil {
		r.err = err
		return r
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("lang", o.lang)
	_ = mw.WriteField("outputs", o.outputs)
	for _, f := range o.fields {
		_ = mw.WriteField(f[0], f[1])
	}
	fw, _ := mw.CreateFormFile("file", filepath.Base(d.path))
	_, _ = fw.Write(data)
	_ = mw.Close()

	cpu0 := benchsrv.TreeCPU(o.srv.PID())
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.srv.Base+"/api/v1/tasks", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := o.do(req)
	if err != nil {
		r.err = fmt.Errorf("upload: %w", err)
		return r
	}
	if resp.status != http.StatusAccepted {
		r.err = fmt.Errorf("upload: %d: %s", resp.status, bytes.TrimSpace(resp.body))
		return r
	}
	var created struct{ Tasks []taskRecord }
	if err := json.Unmarshal(resp.body, &created); err != nil || len(created.Tasks) != 1 {
		r.err = fmt.Errorf("upload: unexpected answer %s", resp.body)
		return r
	}
	t, err := o.wait(ctx, created.Tasks[0].ID)
	r.wall = time.Since(start)
	r.cpu = benchsrv.TreeCPU(o.srv.PID()) - cpu0
	if err != nil {
		r.err = err
		return r
	}
	if t.Status != "completed" {
		r.err = fmt.Errorf("task %s ended %s: %s", t.ID, t.Status, t.Error)
		return r
	}
	txt, err := o.file(ctx, t, "txt")
	if err != nil {
		r.err = err
		return r
	}
	r.text = string(txt)
	if js, err := o.file(ctx, t, "json"); err == nil {
		r.note = orientationNote(js)
	}
	return r
}

type taskRecord struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Error  string `json:"error"`
	Files  []struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
	} `json:"files"`
}

type answer struct {
	status int
	body   []byte
}

func (o *ocrbox) do(req *http.Request) (answer, error) {
	req.Header.Set("Authorization", "Bearer "+o.token)
	resp, err := o.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, data}, err
}

func (o *ocrbox) get(ctx context.Context, path string) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.srv.Base+path, nil)
	a, err := o.do(req)
	if err != nil {
		return nil, err
	}
	if a.status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d: %s", path, a.status, bytes.TrimSpace(a.body))
	}
	return a.body, nil
}

// wait polls the task every 50 ms: one task at a time, so the poll's cost
// is negligible and its delay at most 50 ms of the page's seconds.
func (o *ocrbox) wait(ctx context.Context, id string) (taskRecord, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return taskRecord{}, fmt.Errorf("waiting for task %s: %w", id, ctx.Err())
		case <-tick.C:
		}
		data, err := o.get(ctx, "/api/v1/tasks/"+id)
		if err != nil {
			return taskRecord{}, err
		}
		var t taskRecord
		if err := json.Unmarshal(data, &t); err != nil {
			return taskRecord{}, fmt.Errorf("task %s: %w", id, err)
		}
		switch t.Status {
		case "completed", "failed", "cancelled":
			return t, nil
		}
	}
}

func (o *ocrbox) file(ctx context.Context, t taskRecord, kind string) ([]byte, error) {
	for _, f := range t.Files {
		if f.Kind == kind {
			return o.get(ctx, "/api/v1/tasks/"+t.ID+"/files/"+f.ID)
		}
	}
	return nil, fmt.Errorf("task %s has no %s output", t.ID, kind)
}

// orientationNote summarises the JSON output's per-page orientation and
// skew, e.g. "180°" or "0° skew 7.0°", or "text layer" for a PDF page read
// from its own text (source pdf_text), pages joined by "+".
func orientationNote(js []byte) string {
	var out struct {
		Pages []struct {
			Orientation *struct {
				Degrees int `json:"degrees"`
			} `json:"orientation"`
			Skew   float64 `json:"skew"`
			Source string  `json:"source"`
		} `json:"pages"`
	}
	if json.Unmarshal(js, &out) != nil {
		return ""
	}
	var parts []string
	for _, p := range out.Pages {
		s := "-"
		if p.Source == "pdf_text" {
			parts = append(parts, "text layer")
			continue
		}
		if p.Orientation != nil {
			s = fmt.Sprintf("%d°", p.Orientation.Degrees)
		}
		if p.Skew != 0 {
			s += fmt.Sprintf(" skew %.1f°", p.Skew)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " + ")
}

// --- the raw CLI ----------------------------------------------------------

// cli runs `tesseract IMG OUT -l LANG` with OMP_THREAD_LIMIT=1 (one core,
// as every ocrbox engine process), after `pdftoppm -r 300 -gray` for a PDF;
// the rasterising counts in its time.
type cli struct{ lang string }

func (c *cli) name() string { return "CLI" }

func (c *cli) read(ctx context.Context, d *doc, dir string) outcome {
	var r outcome
	start := time.Now()
	images := []string{d.path}
	if d.pdf {
		prefix := filepath.Join(dir, "page")
		cpu, err := runCmd(ctx, nil, "pdftoppm", "-r", "300", "-gray", "-png", d.path, prefix)
		r.cpu += cpu
		if err != nil {
			r.err = err
			return r
		}
		images, _ = filepath.Glob(prefix + "-*.png")
		sort.Strings(images) // pdftoppm pads the numbers to the same width
		if len(images) != d.pages {
			r.err = fmt.Errorf("pdftoppm made %d pages, want %d", len(images), d.pages)
			return r
		}
	}
	var texts []string
	for i, img := range images {
		out := filepath.Join(dir, fmt.Sprintf("out-%d", i))
		cpu, err := runCmd(ctx, []string{"OMP_THREAD_LIMIT=1"}, "tesseract", img, out, "-l", c.lang)
		r.cpu += cpu
		if err != nil {
			r.err = err
			return r
		}
		t, err := os.ReadFile(out + ".txt")
		if err != nil {
			r.err = err
			return r
		}
		texts = append(texts, string(t))
	}
	r.wall = time.Since(start)
	r.text = strings.Join(texts, "\n")
	return r
}

// --- OCRmyPDF -------------------------------------------------------------

// ocrmypdf runs `ocrmypdf --rotate-pages --deskew` as its documentation
// recommends for scans, on one core (--jobs 1, OMP_THREAD_LIMIT=1) like the
// CLI; images get --image-dpi (the scan's resolution), PDFs --skip-text
// (without it OCRmyPDF refuses a page that has text). The text is its
// --sidecar; a page it skipped because it had text is read from its output
// PDF with pdftotext, which is what its user would get.
type ocrmypdf struct{ lang string }

func (o *ocrmypdf) name() string { return "OCRmyPDF" }

func (o *ocrmypdf) read(ctx context.Context, d *doc, dir string) outcome {
	var r outcome
	side, out := filepath.Join(dir, "sidecar.txt"), filepath.Join(dir, "out.pdf")
	args := []string{"--jobs", "1", "--rotate-pages", "--deskew", "-l", o.lang, "--sidecar", side}
	if d.pdf {
		args = append(args, "--skip-text")
	} else {
		args = append(args, "--image-dpi", fmt.Sprint(d.dpi))
	}
	args = append(args, d.path, out)
	start := time.Now()
	r.cpu, r.err = runCmd(ctx, []string{"OMP_THREAD_LIMIT=1"}, "ocrmypdf", args...)
	r.wall = time.Since(start)
	if r.err != nil {
		return r
	}
	data, err := os.ReadFile(side)
	if err != nil {
		r.err = err
		return r
	}
	// One chunk per page, form feeds between; a run of pages it skipped
	// is one chunk "[OCR skipped on page(s) 3-5]" (its merge_sidecars).
	chunks := strings.Split(strings.TrimRight(string(data), "\f"), "\f")
	var skipped []string
	for i, ch := range chunks {
		m := skippedRe.FindStringSubmatch(ch)
		if m == nil {
			continue
		}
		from, to := m[1], m[1]
		if m[2] != "" {
			to = m[2]
		}
		txt, err := exec.CommandContext(ctx, "pdftotext", "-f", from, "-l", to, out, "-").Output()
		if err != nil {
			r.err = fmt.Errorf("pdftotext pages %s-%s of %s: %w", from, to, out, err)
			return r
		}
		chunks[i] = string(txt)
		if from == to {
			skipped = append(skipped, from)
		} else {
			skipped = append(skipped, from+"-"+to)
		}
	}
	if len(skipped) > 0 {
		r.note = "kept the text layer of page(s) " + strings.Join(skipped, ", ")
	}
	r.text = strings.Join(chunks, "\n")
	return r
}

// skippedRe matches OCRmyPDF's sidecar marker for pages it did not OCR.
var skippedRe = regexp.MustCompile(`\[OCR skipped on page\(s\) (\d+)(?:-(\d+))?\]`)

// runCmd executes a command and returns the CPU it and the children it waited
// for used (wait4's rusage: OCRmyPDF's tesseract and Ghostscript count).
func runCmd(ctx context.Context, env []string, name string, args ...string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 400 {
			msg = "…" + msg[len(msg)-400:]
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return cpu, fmt.Errorf("%s exited %d: %s", name, ee.ExitCode(), msg)
		}
		return cpu, fmt.Errorf("%s: %w", name, err)
	}
	return cpu, nil
}
