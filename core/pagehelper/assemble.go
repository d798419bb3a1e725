package pagehelper

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/outputs"
)

// The searchable PDF is assembled in a helper too (outputs.PDFFiles):
// pdfcpu parses the whole upload and every page's text layer into memory,
// 1.2–1.7× the upload's size (measured), and in the server that made its
// resident memory jump at the end of a large PDF task, and stay there (a
// 100 MiB PDF: +117 MiB; the Go heap is returned to the system slowly). The helper gets the
// output file as its descriptor 3, opened by the server in the task's
// directory, so it never chooses a path to write.

// Limits of an assembly, measured on the 2-core VM with pdfcpu v0.11 and
// uncompressed scans (docs/benchmarks.md, upload-memory pdf-ocr): a 200 MiB
// PDF of 24 pages was assembled in 2–4 s at a peak RSS of 279 MiB (100 MiB,
// 12 pages: 167 MiB), and needed 0.26–0.36 GiB of address space beyond what
// the process had mapped at start; the output is the input plus the text
// layers (images go in as they are, or Flate-compressed when lossless).
// The limits leave room for denser documents and a loaded machine, and
// still stop a runaway long before it takes the machine.
const (
	assembleASBase     = 256 << 20 // the Go runtime's and pdfcpu's fixed costs
	assembleASPerByte  = 3         // × the bytes read: parsed objects, the output's buffers, GC headroom
	assembleTimeBase   = time.Minute
	assembleTimePage   = 2 * time.Second
	assembleBytesPerS  = 2 << 20 // input read per second of timeout: 1/25 of the speed measured
	assembleFSizeBase  = 64 << 20
	assembleFSizeRatio = 4 // output ≤ this × input (lossless pixels re-compressed)
)

// assembleFD is the helper's descriptor of the output file (ExtraFiles[0]).
const assembleFD = 3

// AssemblePDF writes the searchable PDF f describes into out (an open,
// empty file the caller made) in a fresh helper process, with limits
// scaled to the files it reads: address space, CPU time and a wall-clock
// timeout that grow with their size and the page count, and out's size.
// A document pdfcpu refuses is a *domain.Error (permanent, as in the
// server); a helper that crashed, ran out of memory or time is an *Error
// (transient). out may hold part of a document after an error.
func (r *Runner) AssemblePDF(ctx context.Context, f outputs.PDFFiles, out *os.File) (outputs.PDFResult, error) {
	input, err := inputBytes(f)
	if err != nil {
		return outputs.PDFResult{}, err
	}
	for i := range f.Pages {
		f.Pages[i].Result = f.Pages[i].Result.Placement()
	}
	job, err := json.Marshal(request{Assemble: &f})
	if err != nil {
		return outputs.PDFResult{}, fmt.Errorf("encode assembly job: %w", err)
	}
	lim := assembleLimits(input, len(f.Pages))
	if r.opts.AddressSpace < 0 {
		lim.as = -1
	}
	started := time.Now()
	res, err := r.runWith(ctx, job, lim, out)
	if err != nil {
		return outputs.PDFResult{}, err
	}
	var usage syscall.Rusage
	if u, ok := res.state.SysUsage().(*syscall.Rusage); ok {
		usage = *u
	}
	cpu := time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
	log := r.log.With("pages", len(f.Pages), "input_bytes", input, "ms", time.Since(started).Milliseconds(),
		"cpu_ms", cpu.Milliseconds(), "max_rss_kb", usage.Maxrss)
	if ctx.Err() != nil {
		return outputs.PDFResult{}, context.Cause(ctx)
	}
	var rep reply
	if res.state.Success() && json.Unmarshal(res.stdout, &rep) == nil {
		if e := rep.Error; e != nil {
			kind := kinds[e.Kind]
			if kind == nil {
				kind = domain.ErrBadInput
			}
			log.Debug("page helper refused to assemble the PDF", "code", e.Code)
			return outputs.PDFResult{}, domain.Errorf(kind, e.Code, "%s", e.Message)
		}
		if rep.PDF != nil {
			log.Debug("searchable PDF assembled")
			return *rep.PDF, nil
		}
	}
	stderr := string(bytes.TrimSpace(res.stderr))
	log.Warn("page helper failed to assemble the PDF", "status", res.state.String(), "stderr", stderr)
	msg := "the PDF assembler failed (" + res.state.String() + ")"
	ws, _ := res.state.Sys().(syscall.WaitStatus)
	switch {
	case res.timedOut:
		msg = fmt.Sprintf("assembling the PDF took longer than %s", lim.timeout)
	case strings.Contains(stderr, "out of memory"):
		// The Go runtime's own words when RLIMIT_AS refuses it memory.
		msg = fmt.Sprintf("assembling the PDF needed more than its memory limit (%d MiB)", lim.as>>20)
	case ws.Signaled() && (ws.Signal() == syscall.SIGKILL || ws.Signal() == syscall.SIGXCPU) && cpu >= time.Duration(lim.cpu)*time.Second/2:
		msg = fmt.Sprintf("assembling the PDF used more than its CPU time limit (%d s)", lim.cpu)
	case ws.Signaled() && ws.Signal() == syscall.SIGXFSZ:
		msg = fmt.Sprintf("the assembled PDF grew past its size limit (%d MiB)", lim.fsize>>20)
	case ws.Signaled():
		msg = "the PDF assembler crashed (" + ws.Signal().String() + ")"
	}
	return outputs.PDFResult{}, &Error{Message: msg}
}

// assembleLimits scales an assembly's limits to the bytes it reads and its
// pages.
func assembleLimits(input int64, pages int) limits {
	timeout := assembleTimeBase + time.Duration(pages)*assembleTimePage +
		time.Duration(input/assembleBytesPerS)*time.Second
	return limits{
		timeout: timeout,
		cpu:     uint64((timeout + time.Second - 1) / time.Second),
		fsize:   assembleFSizeBase + assembleFSizeRatio*input,
		as:      assembleASBase + assembleASPerByte*input,
	}
}

// inputBytes is the size of the files f names: what sizes the limits. A
// file that is missing fails here, in the server, with the path in the
// log only.
func inputBytes(f outputs.PDFFiles) (int64, error) {
	var n int64
	add := func(path string) error {
		if path == "" {
			return nil
		}
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("assembly input: %w", err)
		}
		n += st.Size()
		return nil
	}
	if err := add(f.Original); err != nil {
		return 0, err
	}
	for _, p := range f.Pages {
		if err := add(p.TextPDF); err != nil {
			return 0, err
		}
		if err := add(p.Image); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// assemble is the helper's side: the document goes to descriptor 3.
func assemble(ctx context.Context, f outputs.PDFFiles) (*outputs.PDFResult, error) {
	out := os.NewFile(assembleFD, "output")
	if out == nil {
		return nil, fmt.Errorf("no output file (descriptor %d)", assembleFD)
	}
	defer out.Close()
	res, err := outputs.WriteSearchablePDFFiles(ctx, out, f)
	if err != nil {
		return nil, err
	}
	return &res, nil
}
