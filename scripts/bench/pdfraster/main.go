// Command pdfraster measures PDF rasterisation at 300 dpi, PDFium in
// WebAssembly (what ocrbox uses, core/pdfium) side by side with poppler's
// pdftoppm (what it used before), on the corpus's three-pages.pdf and a
// born-digital page, and the page helper's start-up and peak RSS with a cold
// and a warm compilation cache. It prints markdown for docs/benchmarks.md.
//
//	go build -o /tmp/ocrbox . && go run ./scripts/bench/pdfraster --bin /tmp/ocrbox
//
// Rows, per page (median of --reps runs):
//   - pdftoppm: `pdftoppm -r 300 -gray -f N -l N` to raw PGM, a process per
//     page as ocrbox ran it: wall and CPU.
//   - PDFium render: RenderGray at 300 dpi in an engine already started,
//     the document already open: wall and CPU of this process.
//   - PDFium page: the whole page helper run, as the worker starts it
//     (`ocrbox pagehelper`, warm cache): start-up, open, text check,
//     render, PNG/G4 encode; wall, CPU and peak RSS of the helper.
//
// ratio is pdftoppm's wall time over PDFium's (≥ 0.5 is the target: PDFium
// at least half pdftoppm's speed).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/ocrbox/ocrbox/core/pagehelper"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/core/pdfium"
)

func main() {
	bin := flag.String("bin", "", "ocrbox binary (its pagehelper subcommand is measured)")
	reps := flag.Int("reps", 5, "runs per measurement (median)")
	corpus := flag.String("corpus", filepath.Join("..", "shared", "testdata", "ocr"), "the OCR corpus")
	flag.Parse()
	if *bin == "" {
		log.Fatal("--bin is required")
	}
	docs := []struct {
		name, path string
		pages      int
	}{
		{"three-pages.pdf", filepath.Join(*corpus, "multipage", "three-pages.pdf"), 3},
		{"born-digital.pdf", filepath.Join("core", "pdfium", "testdata", "born-digital.pdf"), 1},
	}
	ctx := context.Background()
	work, err := os.MkdirTemp("", "pdfraster")
	check(err)
	defer os.RemoveAll(work)
	cache := filepath.Join(work, "cache")

	// Helper start-up: an inspect job, cold cache then warm.
	rec := &recorder{}
	runner, err := pagehelper.New(pagehelper.Options{Command: []string{*bin, pagehelper.Subcommand}, CacheDir: cache},
		slog.New(rec))
	check(err)
	fmt.Println("| helper start-up (inspect job, born-digital.pdf) | wall | CPU | peak RSS |")
	fmt.Println("|---|---|---|---|")
	for _, label := range []string{"cold cache (compiles PDFium)", "warm cache"} {
		var runs []stat
		n := *reps
		if label[0] == 'c' {
			n = 1
		}
		for range n {
			if label[0] == 'c' {
				os.RemoveAll(cache)
			}
			start := time.Now()
			_, err := runner.InspectPDF(ctx, docs[1].path, 10)
			check(err)
			s := rec.last()
			s.wall = time.Since(start)
			runs = append(runs, s)
		}
		m := median(runs)
		fmt.Printf("| %s | %s | %s | %d MiB |\n", label, ms(m.wall), ms(m.cpu), m.rssKB>>10)
	}
	fi, err := dirSize(cache)
	check(err)
	fmt.Printf("\ncompilation cache on disk: %.1f MiB\n\n", float64(fi)/(1<<20))

	eng, err := pdfium.Start(ctx, pdfium.Options{CacheDir: cache})
	check(err)
	defer eng.Close()
	fmt.Println("| page (300 dpi) | pixels | pdftoppm wall / CPU | PDFium render wall / CPU | ratio | PDFium helper page wall / CPU / peak RSS |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, d := range docs {
		doc, err := eng.Open(d.path)
		check(err)
		odoc, err := pages.Open(ctx, d.path, pages.TypePDF, pages.Limits{PDF: runner})
		check(err)
		for i := range d.pages {
			var pp, pr, ph []stat
			var w, h int
			for range *reps {
				pp = append(pp, pdftoppm(d.path, i+1))
				var ru0, ru1 syscall.Rusage
				_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
				start := time.Now()
				g, err := doc.RenderGray(i, 300, 0)
				wall := time.Since(start)
				_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
				check(err)
				w, h = g.Width, g.Height
				pr = append(pr, stat{wall: wall, cpu: cpuOf(ru1) - cpuOf(ru0)})

				j, err := odoc.Job(i, filepath.Join(work, "page-"+strconv.Itoa(i)))
				check(err)
				j.PDFText = "force" // rasterise even the born-digital page
				start = time.Now()
				p, err := runner.Extract(ctx, j)
				check(err)
				s := rec.last()
				s.wall = time.Since(start)
				ph = append(ph, s)
				os.Remove(p.Path)
			}
			a, b, c := median(pp), median(pr), median(ph)
			fmt.Printf("| %s p%d | %dx%d | %s / %s | %s / %s | %.2f | %s / %s / %d MiB |\n", d.name, i+1, w, h,
				ms(a.wall), ms(a.cpu), ms(b.wall), ms(b.cpu), float64(a.wall)/float64(b.wall), ms(c.wall), ms(c.cpu), c.rssKB>>10)
		}
		doc.Close()
		odoc.Close()
	}
}

type stat struct {
	wall, cpu time.Duration
	rssKB     int64
}

func median(s []stat) stat {
	slices.SortFunc(s, func(a, b stat) int { return int(a.wall - b.wall) })
	return s[len(s)/2]
}

func pdftoppm(path string, page int) stat {
	n := strconv.Itoa(page)
	cmd := exec.Command("pdftoppm", "-q", "-r", "300", "-f", n, "-l", n, "-gray", path)
	var out bytes.Buffer
	cmd.Stdout = &out
	start := time.Now()
	check(cmd.Run())
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return stat{wall: wall, cpu: cpuOf(*ru), rssKB: ru.Maxrss}
}

func cpuOf(ru syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return err
	})
	return n, err
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// recorder keeps the CPU and peak RSS the page helper runner logs for its
// last run (its Debug records "page decoded" / "PDF inspected", with the
// figures as attributes of the record or of its logger).
type recorder struct {
	mu    sync.Mutex
	s     stat
	attrs []slog.Attr
	root  *recorder
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	root := r.root
	if root == nil {
		root = r
	}
	return &recorder{attrs: append(slices.Clone(r.attrs), as...), root: root}
}

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	var s stat
	found := false
	use := func(a slog.Attr) bool {
		switch a.Key {
		case "cpu_ms":
			s.cpu, found = time.Duration(a.Value.Int64())*time.Millisecond, true
		case "max_rss_kb":
			s.rssKB = a.Value.Int64()
		}
		return true
	}
	for _, a := range r.attrs {
		use(a)
	}
	rec.Attrs(use)
	root := r.root
	if root == nil {
		root = r
	}
	if found {
		root.mu.Lock()
		root.s = s
		root.mu.Unlock()
	}
	return nil
}

func (r *recorder) last() stat {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.s
}
