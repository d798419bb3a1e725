// Package pdfium reads PDFs with PDFium compiled to WebAssembly
// (github.com/klippa-app/go-pdfium), run by wazero: pure Go, no cgo and no
// helper program, so the fully static binary reads PDFs by itself.
//
// It counts pages, reads page sizes, rasterises a page to 8-bit gray,
// extracts a page's text with word boxes (and whether it is drawn visibly
// or is an invisible OCR layer), and copies one page into a PDF of its own.
//
// Where it runs: never in the server process. The page helper
// (core/pagehelper, one process per page, resource-limited) starts an
// Engine, does one job and exits; the server only reads the answers. PDFium
// sees the upload through a Go io.ReadSeeker and no filesystem at all (no
// directory is mounted into the module), so a hostile PDF reaches nothing
// but its own bytes and the module's linear memory.
//
// Start-up cost: compiling the 6 MB module to machine code takes ~3 s of
// CPU, every process. Start with a cache directory (the server passes
// <data_dir>/cache/wasm) and wazero stores the compiled code there on the
// first start; later starts load it (tens of ms, see docs/benchmarks.md).
// The module is embedded zstd-compressed (2.2 MB instead of 6.0 MB in the
// binary) and decompressed at each start (~5 ms; the frame checksum is
// skipped: the bytes are the binary's own).
package pdfium

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/klauspost/compress/zstd"
	gopdfium "github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// wasmZst is go-pdfium v1.21.5's pdfium.wasm, compressed with
// `zstd -19` (see gen.go).
//
//go:embed pdfium.wasm.zst
var wasmZst []byte

// Module returns the PDFium WebAssembly module, decompressed.
func Module() ([]byte, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.IgnoreChecksum(true))
	if err != nil {
		return nil, fmt.Errorf("pdfium: zstd: %w", err)
	}
	defer dec.Close()
	out, err := dec.DecodeAll(wasmZst, make([]byte, 0, 6<<20))
	if err != nil {
		return nil, fmt.Errorf("pdfium: decompress module: %w", err)
	}
	return out, nil
}

// Engine is one PDFium instance. It is not for concurrent use: the page
// helper uses one per process.
type Engine struct {
	pool gopdfium.Pool
	inst gopdfium.Pdfium
}

// Options configure Start.
type Options struct {
	// CacheDir keeps wazero's compiled code between processes; "" compiles
	// in memory every time (~3 s of CPU). Created 0700 if missing.
	CacheDir string
	// MaxMemoryBytes caps the module's linear memory (0: wasm32's 4 GiB). A
	// PDF that needs more fails with an error instead of growing further.
	MaxMemoryBytes uint64
}

// Start loads and instantiates the module.
func Start(ctx context.Context, opts Options) (*Engine, error) {
	wasm, err := Module()
	if err != nil {
		return nil, err
	}
	// The bundled module lowers setjmp/longjmp to WebAssembly exception
	// handling, which wazero offers as an experimental core feature.
	rc := wazero.NewRuntimeConfig().WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
		WithCloseOnContextDone(true)
	if opts.MaxMemoryBytes > 0 {
		rc = rc.WithMemoryLimitPages(uint32(min(opts.MaxMemoryBytes>>16, 65536)))
	}
	if opts.CacheDir != "" {
		if err := os.MkdirAll(opts.CacheDir, 0o700); err != nil {
			return nil, fmt.Errorf("pdfium: cache dir: %w", err)
		}
		cache, err := wazero.NewCompilationCacheWithDir(opts.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("pdfium: cache dir: %w", err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	pool, err := webassembly.InitWithWASM(webassembly.Config{
		Context: ctx, MinIdle: 1, MaxIdle: 1, MaxTotal: 1, WASM: wasm, RuntimeConfig: rc,
		// No directory mounted: PDFium reads the upload through a Go reader.
		FSConfig: wazero.NewFSConfig(),
		Stdout:   io.Discard, Stderr: io.Discard,
	})
	if err != nil {
		return nil, fmt.Errorf("pdfium: start: %w", err)
	}
	inst, err := pool.GetInstanceWithContext(ctx)
	if err != nil {
		_ = pool.Close()
		return nil, fmt.Errorf("pdfium: instance: %w", err)
	}
	return &Engine{pool: pool, inst: inst}, nil
}

// Close releases the instance and the runtime.
func (e *Engine) Close() error {
	_ = e.inst.Close()
	return e.pool.Close()
}

// The package-level errors say what is wrong with a file; callers map them
// to their own (core/pages: unreadable_input).
var (
	// ErrPassword is a PDF that needs a password.
	ErrPassword = errors.New("PDF is password-protected")
	// ErrCorrupt is a file PDFium cannot parse.
	ErrCorrupt = errors.New("PDF is corrupt or truncated")
)

// closeOnce guards a document's file against a double close.
type closeOnce struct {
	once sync.Once
	f    *os.File
}

func (c *closeOnce) close() { c.once.Do(func() { c.f.Close() }) }

// mapOpenErr turns go-pdfium's last-error values into ours.
func mapOpenErr(err error) error {
	msg := err.Error()
	switch {
	case bytes.Contains([]byte(msg), []byte("password")), bytes.Contains([]byte(msg), []byte("encryption")):
		return fmt.Errorf("%w: %w", ErrPassword, err)
	default:
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
}
