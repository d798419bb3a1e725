// Package conformance is the SDK's conformance suite for OCR engine
// plugins: it starts a plugin the way ocrbox does and checks the handshake,
// Info, recognition of a real page (character error rate against its text),
// a corrupt image (a proper error, not a crash), cancellation, a message
// near the size limit and concurrent calls.
// `ocrbox plugin check NAME|PATH` runs it and prints the table; plugin
// authors run the same command against their executable.
package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/png" // page dimensions for the box check
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Options tune the suite; zero values pick the defaults.
type Options struct {
	// Page is the image to recognise (PNG, TIFF, JPEG…) and Truth its text;
	// by default the kit renders PageLines itself.
	Page        []byte
	ContentType string
	Truth       string
	// MaxCER is the highest character error rate that passes (default 0.10).
	MaxCER float64
	// Lang is the language asked for (default: "eng" if offered, else the
	// engine's first language).
	Lang string
	// LargeBytes is the size of the large-message check (default 200 MiB,
	// under the 256 MiB limit).
	LargeBytes int
	// Concurrency is the number of simultaneous calls (default 4).
	Concurrency int
	// CancelAfter is when the cancellation check cancels (default 50 ms),
	// and CancelWithin how soon the call must return after that (default 5 s).
	CancelAfter, CancelWithin time.Duration
}

// Result is one check's outcome.
type Result struct {
	Check  string
	Pass   bool
	Detail string
	Took   time.Duration
}

// Starter starts the plugin under test.
type Starter func(ctx context.Context) (*host.Process, error)

type suite struct {
	opts   Options
	proc   *host.Process
	eng    sdk.OCREngine
	info   *sdk.EngineInfo
	lang   string
	width  int
	height int
	text   string // what "recognize page" read from the page's bytes
}

// Run runs every check in order and returns the results; when the plugin
// does not start, the other checks are reported as not run.
func Run(ctx context.Context, start Starter, opts Options) []Result {
	s := &suite{opts: withDefaults(opts)}
	var out []Result
	run := func(name string, fn func(context.Context) (string, error)) bool {
		t0 := time.Now()
		detail, err := fn(ctx)
		r := Result{Check: name, Pass: err == nil, Detail: detail, Took: time.Since(t0)}
		if err != nil {
			r.Detail = err.Error()
		}
		out = append(out, r)
		return err == nil
	}
	checks := []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"handshake", func(ctx context.Context) (string, error) { return s.handshake(ctx, start) }},
		{"info", s.checkInfo},
		{"recognize page", s.recognizePage},
		{"corrupt image", s.corruptImage},
		{"cancellation", s.cancellation},
		{"large message", s.largeMessage},
		{"page by path", s.pageByPath},
		{"concurrent calls", s.concurrent},
		{"no crash, no restart", s.stillAlive},
	}
	for i, c := range checks {
		if !run(c.name, c.fn) && i < 2 {
			for _, rest := range checks[i+1:] {
				out = append(out, Result{Check: rest.name, Detail: "not run: " + c.name + " failed"})
			}
			break
		}
	}
	if s.proc != nil {
		s.proc.Kill()
	}
	return out
}

func withDefaults(o Options) Options {
	if o.MaxCER == 0 {
		o.MaxCER = 0.10
	}
	if o.LargeBytes == 0 {
		o.LargeBytes = 200 << 20
	}
	if o.Concurrency == 0 {
		o.Concurrency = 4
	}
	if o.CancelAfter == 0 {
		o.CancelAfter = 50 * time.Millisecond
	}
	if o.CancelWithin == 0 {
		o.CancelWithin = 5 * time.Second
	}
	return o
}

func (s *suite) handshake(ctx context.Context, start Starter) (string, error) {
	p, err := start(ctx)
	if err != nil {
		return "", err
	}
	s.proc = p
	eng, err := p.Engine(ctx)
	if err != nil {
		return "", err
	}
	s.eng = eng
	return fmt.Sprintf("go-plugin handshake, protocol %d, gRPC", sdk.ProtocolVersion), nil
}

var knownOutputs = []string{"txt", "hocr", "json", "pdf"}

func (s *suite) checkInfo(ctx context.Context) (string, error) {
	info, err := s.eng.Info(ctx)
	if err != nil {
		return "", err
	}
	var problems []string
	if info.GetName() == "" {
		problems = append(problems, "no name")
	}
	if info.GetVersion() == "" {
		problems = append(problems, "no version")
	}
	if got := info.GetProtocolVersion(); got != sdk.ProtocolVersion {
		problems = append(problems, fmt.Sprintf("protocol_version %d, want %d", got, sdk.ProtocolVersion))
	}
	if len(info.GetOutputs()) == 0 {
		problems = append(problems, "no outputs")
	}
	for _, o := range info.GetOutputs() {
		if !slices.Contains(knownOutputs, o) {
			problems = append(problems, fmt.Sprintf("unknown output %q", o))
		}
	}
	if len(info.GetLanguages()) == 0 {
		problems = append(problems, "no languages")
	}
	s.lang = s.opts.Lang
	if s.lang == "" {
		s.lang = "eng"
		if !slices.Contains(info.GetLanguages(), "eng") && len(info.GetLanguages()) > 0 {
			s.lang = info.GetLanguages()[0]
		}
	}
	if !slices.Contains(info.GetLanguages(), s.lang) {
		problems = append(problems, fmt.Sprintf("language %q not offered", s.lang))
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	s.info = info
	return fmt.Sprintf("%s %s, %d languages, outputs %s", info.GetName(), info.GetVersion(),
		len(info.GetLanguages()), strings.Join(info.GetOutputs(), ",")), nil
}

func (s *suite) page() ([]byte, string, string, error) {
	if s.opts.Page != nil {
		return s.opts.Page, s.opts.ContentType, s.opts.Truth, nil
	}
	img, err := RenderPage(PageLines)
	return img, "image/png", strings.Join(PageLines, "\n"), err
}

func (s *suite) request(img []byte, ct string) *sdk.RecognizeRequest {
	return &sdk.RecognizeRequest{Image: img, ContentType: ct, Languages: []string{s.lang}, PageNumber: 1, Dpi: 300}
}

func (s *suite) recognizePage(ctx context.Context) (string, error) {
	img, ct, truth, err := s.page()
	if err != nil {
		return "", err
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(img)); err == nil {
		s.width, s.height = cfg.Width, cfg.Height
	}
	resp, err := s.eng.Recognize(ctx, s.request(img, ct))
	if err != nil {
		return "", err
	}
	s.text = resp.GetText()
	var problems []string
	rate := CER(truth, resp.GetText())
	if rate > s.opts.MaxCER {
		problems = append(problems, fmt.Sprintf("character error rate %.1f%% (want ≤ %.0f%%): %q",
			100*rate, 100*s.opts.MaxCER, truncate(resp.GetText(), 120)))
	}
	boxes, conf := 0, 0
	for _, w := range resp.GetWords() {
		if w.GetX1() > w.GetX0() && w.GetY1() > w.GetY0() {
			boxes++
			if s.width > 0 && (w.GetX0() < 0 || w.GetY0() < 0 || int(w.GetX1()) > s.width || int(w.GetY1()) > s.height) {
				problems = append(problems, fmt.Sprintf("word %q box outside the page", w.GetText()))
				break
			}
		}
		if c := w.GetConfidence(); c >= 0 {
			conf++
			if c > 100 {
				problems = append(problems, fmt.Sprintf("word %q confidence %v > 100", w.GetText(), c))
				break
			}
		}
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	return fmt.Sprintf("CER %.1f%%, %d words (%d with boxes, %d with confidence)",
		100*rate, len(resp.GetWords()), boxes, conf), nil
}

func (s *suite) corruptImage(ctx context.Context) (string, error) {
	junk := bytes.Repeat([]byte("\x89PNG\r\n\x1a\n not really an image "), 500)
	_, err := s.eng.Recognize(ctx, s.request(junk, "image/png"))
	switch {
	case err == nil:
		return "", errors.New("a corrupt image was accepted without an error")
	case errors.Is(err, sdk.ErrBadImage), errors.Is(err, sdk.ErrUnsupported):
	default:
		return "", fmt.Errorf("wrong error class (want bad image → gRPC InvalidArgument): %v", err)
	}
	if _, err := s.eng.Info(ctx); err != nil || s.proc.Restarts() > 0 {
		return "", fmt.Errorf("the plugin did not survive a corrupt image: %v (restarts %d)", err, s.proc.Restarts())
	}
	return "bad-image error, plugin still up", nil
}

func (s *suite) cancellation(ctx context.Context) (string, error) {
	lines := slices.Repeat(PageLines, 12)
	img, err := RenderPage(lines)
	if err != nil {
		return "", err
	}
	cctx, cancel := context.WithCancel(ctx)
	t0 := time.Now()
	timer := time.AfterFunc(s.opts.CancelAfter, cancel)
	defer timer.Stop()
	done := make(chan error, 1)
	go func() {
		_, err := s.eng.Recognize(cctx, s.request(img, "image/png"))
		done <- err
	}()
	var callErr error
	select {
	case callErr = <-done:
	case <-time.After(s.opts.CancelAfter + s.opts.CancelWithin):
		cancel()
		return "", fmt.Errorf("the call did not return within %s of being cancelled", s.opts.CancelWithin)
	}
	took := time.Since(t0)
	detail := fmt.Sprintf("returned %s after the cancel", (took - s.opts.CancelAfter).Round(time.Millisecond))
	if callErr == nil {
		detail = fmt.Sprintf("finished in %s, before the cancel at %s (inconclusive)", took.Round(time.Millisecond), s.opts.CancelAfter)
	}
	if _, err := s.eng.Info(ctx); err != nil {
		return "", fmt.Errorf("plugin unusable after a cancelled call: %v", err)
	}
	return detail, nil
}

func (s *suite) largeMessage(ctx context.Context) (string, error) {
	img, err := PaddedPNG(s.opts.LargeBytes)
	if err != nil {
		return "", err
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	_, err = s.eng.Recognize(cctx, s.request(img, "image/png"))
	if err != nil && !errors.Is(err, sdk.ErrBadImage) && !errors.Is(err, sdk.ErrUnsupported) {
		return "", fmt.Errorf("%d MiB message: %v", len(img)>>20, err)
	}
	result := "recognised"
	if err != nil {
		result = "refused as bad image"
	}
	return fmt.Sprintf("%d MiB image %s, transport ok", len(img)>>20, result), nil
}

// pageByPath sends the page as a file (image_path) to an engine that says
// it reads paths, as the host does, and expects the text it gave for the
// same page as bytes; an engine that takes bytes only passes, told so.
func (s *suite) pageByPath(ctx context.Context) (string, error) {
	if !s.info.GetAcceptsPath() {
		return "accepts_path is false: the host sends bytes (at most 255 MiB a page)", nil
	}
	img, ct, _, err := s.page()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "ocrbox-check-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "page")
	if err := os.WriteFile(path, img, 0o600); err != nil {
		return "", err
	}
	req := s.request(nil, ct)
	req.ImagePath = path
	resp, err := s.eng.Recognize(ctx, req)
	if err != nil {
		return "", fmt.Errorf("page sent by path: %v", err)
	}
	if got := strings.TrimSpace(resp.GetText()); got != strings.TrimSpace(s.text) {
		return "", fmt.Errorf("page sent by path read as %q, as bytes %q", truncate(got, 60), truncate(s.text, 60))
	}
	return "image_path read, same text as the bytes", nil
}

func (s *suite) concurrent(ctx context.Context) (string, error) {
	img, ct, _, err := s.page()
	if err != nil {
		return "", err
	}
	texts := make([]string, s.opts.Concurrency)
	errs := make([]error, s.opts.Concurrency)
	var wg sync.WaitGroup
	for i := range s.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := s.eng.Recognize(ctx, s.request(img, ct))
			errs[i] = err
			if err == nil {
				texts[i] = resp.GetText()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	for _, t := range texts[1:] {
		if t != texts[0] {
			return "", errors.New("simultaneous calls on the same page gave different text")
		}
	}
	return fmt.Sprintf("%d simultaneous calls, same text", s.opts.Concurrency), nil
}

func (s *suite) stillAlive(ctx context.Context) (string, error) {
	if _, err := s.eng.Info(ctx); err != nil {
		return "", err
	}
	if n := s.proc.Restarts(); n > 0 {
		return "", fmt.Errorf("the plugin process was restarted %d time(s) during the suite (it crashed)", n)
	}
	return "same process throughout", nil
}

// Print writes the results as a table and reports whether all passed.
func Print(w io.Writer, target string, results []Result) bool {
	fmt.Fprintf(w, "conformance of %s (plugin protocol %d)\n\n", target, sdk.ProtocolVersion)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tRESULT\tTIME\tDETAIL")
	all := true
	for _, r := range results {
		res := "PASS"
		if !r.Pass {
			res, all = "FAIL", false
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Check, res, r.Took.Round(time.Millisecond), truncate(r.Detail, 200))
	}
	tw.Flush()
	passed := 0
	for _, r := range results {
		if r.Pass {
			passed++
		}
	}
	fmt.Fprintf(w, "\n%d of %d checks passed\n", passed, len(results))
	return all
}

func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
