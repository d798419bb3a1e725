// Command pagevariants measures how well ocrbox, the raw tesseract CLI and
// OCRmyPDF read the same pages damaged or packaged in different ways —
// turned 90/180/270°, skewed 3° and 7°, saved as JPEG quality 40, laid out
// as a born-digital PDF, and a PDF mixing a born-digital page with a scan —
// side by side in one run: word recall, character error rate and seconds
// per page (issue 14). Run it through scripts/bench/pages, which builds
// the binary and waits for a quiet machine; see docs/benchmarks.md.
//
// The variants are made from the corpus pages (pages/*.tif with their .txt
// ground truth) at the start of the run; nothing is shipped. Documents go
// through the three tools one at a time, the tools taking turns document
// by document, so that other load on the machine hits them alike.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ocrbox/ocrbox/scripts/bench/internal/benchsrv"
)

type config struct {
	bin, corpus, lang, pages, variants, tools string
	out, header, workDir, outputs             string
	fields                                    multiFlag
	assert                                    bool
	maxDrop                                   float64
	taskTimeout, timeout                      time.Duration
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	var c config
	var keys []string
	for _, v := range variants {
		keys = append(keys, v.key)
	}
	flag.StringVar(&c.bin, "bin", "", "ocrbox binary (required unless -tools leaves ocrbox out)")
	flag.StringVar(&c.corpus, "corpus", "../shared/testdata/ocr", "corpus directory with pages/*.tif and their .txt ground truth")
	flag.StringVar(&c.lang, "lang", "eng", "language for every tool")
	flag.StringVar(&c.pages, "pages", "", "comma-separated corpus pages (file names or prefixes, e.g. phototest,8087); default all pages/*.tif")
	flag.StringVar(&c.variants, "variants", strings.Join(keys, ","), "comma-separated variants")
	flag.StringVar(&c.tools, "tools", "ocrbox,cli,ocrmypdf", "comma-separated tools: ocrbox, cli, ocrmypdf")
	flag.StringVar(&c.out, "out", "", "also write the markdown report to this file")
	flag.StringVar(&c.header, "header", "", "file whose lines head the report (date, machine, load; scripts/bench/pages writes it)")
	flag.StringVar(&c.workDir, "work-dir", "", "scratch directory, kept (default: a temp dir, removed at exit)")
	flag.StringVar(&c.outputs, "ocrbox-outputs", "txt,json,pdf", "ocrbox outputs per task (a searchable PDF, like OCRmyPDF's)")
	flag.Var(&c.fields, "ocrbox-field", "extra upload field NAME=VALUE for ocrbox, repeatable (e.g. autorotate=false, pdf_text=skip)")
	flag.BoolVar(&c.assert, "assert", false, "exit 3 if ocrbox's mean recall on a turned or skewed variant is more than -max-drop below its upright recall")
	flag.Float64Var(&c.maxDrop, "max-drop", 0.02, "largest drop in word recall from upright that -assert accepts")
	flag.DurationVar(&c.taskTimeout, "task-timeout", 5*time.Minute, "give up on one document after this long")
	flag.DurationVar(&c.timeout, "timeout", 40*time.Minute, "give up on the whole run after this long")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	code := run(ctx, c)
	cancel()
	stop()
	os.Exit(code)
}

func run(ctx context.Context, c config) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "pagevariants:", err); return 1 }
	work := c.workDir
	if work == "" {
		tmp, err := os.MkdirTemp("", "ocrbox-pagevariants-")
		if err != nil {
			return fail(err)
		}
		defer os.RemoveAll(tmp)
		work = tmp
	}
	srcs, err := loadSources(c.corpus, c.pages)
	if err != nil {
		return fail(err)
	}
	keys := map[string]bool{}
	for _, k := range strings.Split(c.variants, ",") {
		if !isVariant(k) {
			return fail(fmt.Errorf("unknown variant %q", k))
		}
		keys[k] = true
	}
	if c.assert {
		keys["upright"] = true // the reference of the assertion
	}
	inputs := filepath.Join(work, "inputs")
	if err := os.MkdirAll(inputs, 0o755); err != nil {
		return fail(err)
	}
	fmt.Fprintf(os.Stderr, "making the variants of %d page(s)…\n", len(srcs))
	docs, err := makeDocs(inputs, srcs, keys)
	if err != nil {
		return fail(err)
	}

	tools, srv, err := startTools(ctx, c, work)
	if srv != nil {
		defer srv.Stop()
	}
	if err != nil {
		return fail(err)
	}
	// Warm-up documents per tool, not counted: the server's engine loads
	// its model on its first page and its PDF reader compiles on start-up,
	// and the CLIs' files come into the page cache. The first document,
	// and the first PDF if it is another.
	warm := []*doc{docs[0]}
	for _, d := range docs {
		if d.pdf {
			if d != docs[0] {
				warm = append(warm, d)
			}
			break
		}
	}
	for _, t := range tools {
		for i, d := range warm {
			dir := filepath.Join(work, "warmup", fmt.Sprintf("%s-%d", t.name(), i))
			_ = os.MkdirAll(dir, 0o755)
			if o := t.read(ctx, d, dir); o.err != nil {
				// Counted again, and reported, when the document's turn comes.
				fmt.Fprintf(os.Stderr, "warm-up of %s on %s failed: %v\n", t.name(), filepath.Base(d.path), o.err)
			}
		}
	}

	results := make([][]outcome, len(docs)) // [doc][tool]
	started := time.Now()
	for i, d := range docs {
		results[i] = make([]outcome, len(tools))
		for j, t := range tools {
			dir := filepath.Join(work, "runs", fmt.Sprintf("%02d-%s-%s", i, d.page, d.variant.key), t.name())
			_ = os.MkdirAll(dir, 0o755)
			o := t.read(ctx, d, dir)
			results[i][j] = o
			status := fmt.Sprintf("recall %.3f  CER %.4f", wordRecall(d.truth, o.text), cer(d.truth, o.text))
			if o.err != nil {
				status = "FAILED: " + o.err.Error()
			}
			fmt.Fprintf(os.Stderr, "[%3.0fs] %-12s %-8s %-9s %5.1fs  %s %s\n", time.Since(started).Seconds(), d.page, d.variant.key,
				t.name(), o.wall.Seconds(), status, o.note)
			if ctx.Err() != nil {
				return fail(ctx.Err())
			}
		}
	}

	rep := newReport(c, docs, tools, results, time.Since(started))
	md := rep.markdown()
	fmt.Print(md)
	if c.out != "" {
		if err := os.WriteFile(c.out, []byte(md), 0o644); err != nil {
			return fail(err)
		}
	}
	code := 0
	if n := rep.failures(); n > 0 {
		fmt.Fprintf(os.Stderr, "pagevariants: %d run(s) failed\n", n)
		code = 1
	}
	if c.assert {
		if msgs := rep.check(c.maxDrop); len(msgs) > 0 {
			for _, m := range msgs {
				fmt.Fprintln(os.Stderr, "pagevariants: assert:", m)
			}
			return 3
		}
		fmt.Fprintf(os.Stderr, "pagevariants: assert: every turned or skewed variant within %.2f of upright\n", c.maxDrop)
	}
	return code
}

func isVariant(k string) bool {
	for _, v := range variants {
		if v.key == k {
			return true
		}
	}
	return false
}

// loadSources reads the chosen corpus pages (all pages/*.tif by default).
func loadSources(corpus, pick string) ([]*source, error) {
	paths, _ := filepath.Glob(filepath.Join(corpus, "pages", "*.tif"))
	if len(paths) == 0 {
		return nil, fmt.Errorf("no pages/*.tif in the corpus %s (use -corpus)", corpus)
	}
	var srcs []*source
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		if pick != "" && !picked(name, pick) {
			continue
		}
		s, err := loadSource(p, strings.TrimSuffix(p, filepath.Ext(p))+".txt", name)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	if len(srcs) == 0 {
		return nil, fmt.Errorf("no corpus page matches -pages %q", pick)
	}
	return srcs, nil
}

func picked(name, pick string) bool {
	for _, p := range strings.Split(pick, ",") {
		if p = strings.TrimSpace(p); p != "" && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// startTools makes the tools of -tools, starting the ocrbox server (one
// worker: documents go one at a time) when it is among them.
func startTools(ctx context.Context, c config, work string) ([]tool, *benchsrv.Server, error) {
	var tools []tool
	var srv *benchsrv.Server
	for _, name := range strings.Split(c.tools, ",") {
		switch name {
		case "ocrbox":
			if c.bin == "" {
				return nil, srv, fmt.Errorf("-bin is required for ocrbox")
			}
			dir := filepath.Join(work, "server")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, srv, err
			}
			var err error
			srv, err = benchsrv.Start(ctx, benchsrv.Options{Bin: c.bin, Dir: dir, Env: map[string]string{
				"OCRBOX_OCR_WORKERS": "1",
				"OCRBOX_LOG_LEVEL":   "info",
			}})
			if err != nil {
				return nil, srv, err
			}
			o := &ocrbox{srv: srv, client: &http.Client{}, lang: c.lang, outputs: c.outputs, timeout: c.taskTimeout}
			for _, f := range c.fields {
				k, v, ok := strings.Cut(f, "=")
				if !ok {
					return nil, srv, fmt.Errorf("-ocrbox-field %q: want NAME=VALUE", f)
				}
				o.fields = append(o.fields, [2]string{k, v})
			}
			if o.token, err = srv.Login(ctx, o.client); err != nil {
				return nil, srv, err
			}
			tools = append(tools, o)
		case "cli":
			tools = append(tools, &cli{lang: c.lang})
		case "ocrmypdf":
			tools = append(tools, &ocrmypdf{lang: c.lang})
		default:
			return nil, srv, fmt.Errorf("unknown tool %q (ocrbox, cli, ocrmypdf)", name)
		}
	}
	return tools, srv, nil
}
