package pagehelper

import (
	"github.com/ocrbox/ocrbox/core/cpuprio"

	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/outputs"
	"github.com/ocrbox/ocrbox/core/pages"
)

// Subcommand is the hidden `ocrbox` subcommand that runs Main.
const Subcommand = "pagehelper"

// cookieKey and cookieValue are set by the server in the helper's
// environment; like the plugin handshake cookie they only stop the helper
// being run by hand by mistake.
const (
	cookieKey   = "OCRBOX_PAGEHELPER"
	cookieValue = "4f1c9a7e-ocrbox-pagehelper-2d6b"
)

// maxJobBytes bounds the job read from stdin: a page's is a few paths and
// numbers, an assembly's ~400 bytes a page (three paths and the page's
// placement), so 16 MiB is ~40,000 pages.
const maxJobBytes = 16 << 20

// request is what the helper reads on stdin: a page to decode, or with
// Inspect a PDF whose page sizes to read.
type request struct {
	pages.Job
	Inspect  bool `json:"inspect,omitempty"`
	MaxPages int  `json:"max_pages,omitempty"`
	// Warm only starts PDFium, filling the compilation cache (CacheDir).
	Warm bool `json:"warm,omitempty"`
	// PreviewWidth, when set, renders the page for the result viewer
	// (pages.Preview) instead of extracting it for OCR.
	PreviewWidth    int `json:"preview_width,omitempty"`
	PreviewQuarters int `json:"preview_quarters,omitempty"`
	// Assemble, when set, writes this searchable PDF to descriptor 3
	// (Runner.AssemblePDF) instead of decoding a page.
	Assemble *outputs.PDFFiles `json:"assemble,omitempty"`
}

// reply is what the helper prints on stdout: a page, a PDF's page sizes,
// or an error.
type reply struct {
	Page  *pageReply   `json:"page,omitempty"`
	Sizes [][2]float64 `json:"sizes,omitempty"`
	Ready bool         `json:"ready,omitempty"` // a Warm job's answer
	// PDF is an Assemble job's answer.
	PDF   *outputs.PDFResult `json:"pdf,omitempty"`
	Error *replyError        `json:"error,omitempty"`
}

type pageReply struct {
	Number      int    `json:"number"`
	Path        string `json:"path"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	DPI         int    `json:"dpi"`
	Source      string `json:"source,omitempty"`
	PDFPath     string `json:"pdf_path,omitempty"`
}

// replyError carries a *domain.Error across the process boundary.
type replyError struct {
	Kind    string `json:"kind"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// kinds names the domain sentinels a decoder may report.
var kinds = map[string]error{
	"bad_input":        domain.ErrBadInput,
	"too_large":        domain.ErrTooLarge,
	"unsupported_type": domain.ErrUnsupportedType,
	"feature_disabled": domain.ErrFeatureDisabled,
	"invalid":          domain.ErrInvalid,
}

// Main is the helper process: `ocrbox pagehelper [-as-budget N] [-cpu S]
// [-fsize N] [-nice N]`, a pages.Job on stdin. It returns the exit code: 0 whenever
// it answered (a page or a domain error), non-zero when it could not.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if code := Setup(args, stderr); code != 0 {
		return code
	}
	return serve(stdin, stdout, stderr)
}

// Setup is Main's first half: it checks the cookie, parses the flags and
// applies the resource limits, returning a non-zero exit code when the
// helper must not go on. Tests call it before misbehaving on purpose.
func Setup(args []string, stderr io.Writer) int {
	if os.Getenv(cookieKey) != cookieValue {
		fmt.Fprintln(stderr, "ocrbox pagehelper is started by ocrbox serve to decode one page; it is not run by hand")
		return 2
	}
	fs := flag.NewFlagSet(Subcommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asBudget := fs.Uint64("as-budget", 0, "address space allowed beyond what is mapped at start, bytes (0: unlimited)")
	cpu := fs.Uint64("cpu", 0, "CPU time limit, seconds (0: unlimited)")
	fsize := fs.Uint64("fsize", 0, "largest file the helper may write, bytes (0: unlimited)")
	nice := fs.Int("nice", 0, "CPU priority (nice value) to run at, 0..19")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := cpuprio.Lower(0, *nice); err != nil {
		fmt.Fprintf(stderr, "pagehelper: %v\n", err) // not fatal: decode at the server's priority
	}
	// Limits first: nothing of the upload has been read yet.
	if err := applyLimits(*asBudget, *cpu, *fsize); err != nil {
		fmt.Fprintf(stderr, "pagehelper: %v\n", err)
		return 3
	}
	return 0
}

// serve reads the job, runs it and prints the answer.
func serve(stdin io.Reader, stdout, stderr io.Writer) int {
	data, err := io.ReadAll(io.LimitReader(stdin, maxJobBytes))
	if err != nil {
		fmt.Fprintf(stderr, "pagehelper: read job: %v\n", err)
		return 3
	}
	var job request
	if err := json.Unmarshal(data, &job); err != nil {
		fmt.Fprintf(stderr, "pagehelper: decode job: %v\n", err)
		return 3
	}
	var (
		p     pages.Page
		sizes [][2]float64
		pdf   *outputs.PDFResult
	)
	switch {
	case job.Assemble != nil:
		pdf, err = assemble(context.Background(), *job.Assemble)
	case job.Warm:
		if err := pages.WarmPDF(job.CacheDir); err != nil {
			fmt.Fprintf(stderr, "pagehelper: %v\n", err)
			return 4
		}
		if err := json.NewEncoder(stdout).Encode(reply{Ready: true}); err != nil {
			return 3
		}
		return 0
	case job.Inspect:
		sizes, err = pages.InspectPDF(context.Background(), job.Path, job.MaxPages, job.CacheDir)
	case job.PreviewWidth > 0:
		p, err = pages.Preview(context.Background(), job.Job, job.PreviewWidth, job.PreviewQuarters)
	default:
		p, err = pages.Extract(context.Background(), job.Job)
	}
	var r reply
	var de *domain.Error
	switch {
	case err == nil && pdf != nil:
		r.PDF = pdf
	case err == nil && job.Inspect:
		r.Sizes = sizes
	case err == nil:
		r.Page = &pageReply{Number: p.Number, Path: p.Path, ContentType: p.ContentType,
			Width: p.Width, Height: p.Height, DPI: p.DPI, Source: p.Source, PDFPath: p.PDFPath}
	case errors.As(err, &de) && kindName(de.Kind) != "":
		r.Error = &replyError{Kind: kindName(de.Kind), Code: de.Code, Message: de.Message}
	default:
		// Not the file's fault (e.g. the output could not be written): no
		// answer, so the server treats the attempt as failed and retries.
		fmt.Fprintf(stderr, "pagehelper: %v\n", err)
		return 4
	}
	if err := json.NewEncoder(stdout).Encode(r); err != nil {
		fmt.Fprintf(stderr, "pagehelper: write answer: %v\n", err)
		return 3
	}
	return 0
}

func kindName(kind error) string {
	for name, k := range kinds {
		if k == kind {
			return name
		}
	}
	return ""
}

// applyLimits sets the helper's own resource limits: soft and hard alike,
// so they cannot be raised again.
func applyLimits(asBudget, cpu, fsize uint64) error {
	set := func(res int, v uint64, what string) error {
		if err := syscall.Setrlimit(res, &syscall.Rlimit{Cur: v, Max: v}); err != nil {
			return fmt.Errorf("set %s limit: %w", what, err)
		}
		return nil
	}
	if err := set(syscall.RLIMIT_CORE, 0, "core dump"); err != nil {
		return err
	}
	if asBudget > 0 {
		mapped, err := vmSize()
		if err != nil {
			return err
		}
		if err := set(syscall.RLIMIT_AS, mapped+asBudget, "address space"); err != nil {
			return err
		}
	}
	if cpu > 0 {
		if err := set(syscall.RLIMIT_CPU, cpu, "CPU time"); err != nil {
			return err
		}
	}
	if fsize > 0 {
		if err := set(syscall.RLIMIT_FSIZE, fsize, "file size"); err != nil {
			return err
		}
	}
	return nil
}

// vmSize is the process's mapped address space now, from /proc.
func vmSize() (uint64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("read own status: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmSize:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmSize %q: %w", rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmSize in /proc/self/status")
}
