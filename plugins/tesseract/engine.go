// Package tesseract is ocrbox's built-in OCR engine: tesseract 5 driven
// through a thin cgo binding of its C API and served as an sdk.OCREngine.
//
// Models stay loaded between pages: one TessBaseAPI per language string
// ("eng", "eng+deu") in a small LRU, because loading a model costs about as
// much as recognising a small page.
//
// Tesseract parallelises with OpenMP, which on a busy server costs about five
// times the CPU per page for little gain — ocrbox already runs pages in
// parallel processes. libgomp reads OMP_THREAD_LIMIT once, when the shared
// library is loaded, before any Go code runs, so this package cannot set it:
// whoever starts the process (the host, a test run) must put
// OMP_THREAD_LIMIT=1 in its environment. Configure warns when it is missing.
//
// Settings, all optional:
//
//	tessdata_dir       directory of *.traineddata (default: TESSDATA_PREFIX,
//	                   else libtesseract's built-in path, else
//	                   /usr/share/tesseract-ocr/5/tessdata)
//	psm                page segmentation mode, 1 or 3-13 (default 3)
//	max_cached_models  language strings kept loaded (default 2)
//	autorotate         turn pages upright before recognition (default true;
//	                   see page_upright.go); a request's "autorotate" option
//	                   overrides it for one page
//
// The release build (tag embedtessdata, tessdata_embed.go) also carries
// eng.traineddata and pdf.ttf: a language the directory lacks is loaded from
// memory, and there may then be no directory at all.
//
// Tesseract and leptonica print warnings to stderr, which go-plugin forwards
// to the host's log.
package tesseract

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// Engine is the tesseract OCR engine. It recognises one page at a time; calls
// made while a page is in progress wait for it.
type Engine struct {
	logger *slog.Logger

	// sem serialises all use of tesseract and guards the fields below. It is
	// a channel rather than a sync.Mutex so that a caller waiting for a long
	// page can give up when its ctx ends.
	sem    chan struct{}
	cfg    *config // nil until Configure, or the first call that needs it
	models modelCache
	loads  int // models initialised; lets tests see that caching works
	// osd is the orientation model (page_upright.go), loaded on first use;
	// osdMissing records that there is none, so that is logged once.
	osd        *tessAPI
	osdMissing bool
	// detect runs OSD: (*tessAPI).detectOrientation, which tests replace.
	detect func(*tessAPI) (deg int, conf float32, ok bool)
	stops  int // recognitions tesseract abandoned because ctx ended
}

// New returns an engine that has loaded nothing yet. A nil logger discards.
func New(logger *slog.Logger) *Engine {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Engine{
		logger: logger.With("component", "tesseract"),
		sem:    make(chan struct{}, 1),
		detect: (*tessAPI).detectOrientation,
	}
}

func (e *Engine) lock(ctx context.Context) error {
	// A select with both cases ready picks at random, so check ctx first.
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Engine) unlock() { <-e.sem }

// Configure applies settings (see the package comment). It replaces all of
// them: a key left out returns to its default. Changing tessdata_dir unloads
// every model.
func (e *Engine) Configure(ctx context.Context, settings map[string]string) error {
	cfg, err := parseConfig(settings)
	if err != nil {
		return fmt.Errorf("configure tesseract: %w", err)
	}
	if err := e.lock(ctx); err != nil {
		return fmt.Errorf("configure tesseract: %w", err)
	}
	defer e.unlock()
	e.apply(cfg)
	return nil
}

// apply installs cfg; the caller holds the lock.
func (e *Engine) apply(cfg config) {
	if e.cfg != nil && e.cfg.tessdataDir != cfg.tessdataDir {
		e.logEvicted(e.models.purge())
		e.unloadOSD()
	}
	e.logEvicted(e.models.resize(cfg.maxCachedModels))
	e.cfg = &cfg
	if os.Getenv("OMP_THREAD_LIMIT") == "" {
		e.logger.Warn("OMP_THREAD_LIMIT is not set; tesseract's OpenMP threads cost about 5x the CPU per page")
	}
	if !cfg.canPDF {
		e.logger.Warn("no "+pdfFont+" in the tessdata directory; PDF output disabled", "tessdata_dir", cfg.tessdataDir)
	}
	e.logger.Info("tesseract configured", "version", tessVersion(), "tessdata_dir", cfg.tessdataDir,
		"languages", cfg.languages, "builtin_languages", cfg.builtin, "psm", cfg.psm, "max_cached_models", cfg.maxCachedModels, "autorotate", cfg.autorotate)
}

// config returns the current settings, applying the defaults if Configure
// has not been called. The caller holds the lock.
func (e *Engine) config() (*config, error) {
	if e.cfg == nil {
		cfg, err := parseConfig(nil)
		if err != nil {
			return nil, fmt.Errorf("configure tesseract: %w", err)
		}
		e.apply(cfg)
	}
	return e.cfg, nil
}

// Info describes the engine. Languages are the models installed in the
// tessdata directory when the engine was configured.
func (e *Engine) Info(ctx context.Context) (*sdk.EngineInfo, error) {
	if err := e.lock(ctx); err != nil {
		return nil, fmt.Errorf("tesseract info: %w", err)
	}
	defer e.unlock()
	cfg, err := e.config()
	if err != nil {
		return nil, err
	}
	outputs := []string{"txt", "hocr", "json"}
	if cfg.canPDF {
		outputs = append(outputs, "pdf")
	}
	return &sdk.EngineInfo{
		Name:      "tesseract",
		Version:   tessVersion(),
		Languages: append([]string(nil), cfg.languages...),
		// What leptonica decodes (it sniffs the bytes, whatever the
		// content type says); it also reads GIF and JPEG 2000.
		ImageTypes: []string{"image/png", "image/jpeg", "image/tiff", "image/bmp",
			"image/webp", "image/x-portable-anymap"},
		Outputs:            outputs,
		SupportsConfidence: true,
	}, nil
}

// Close unloads every model. The engine stays usable and reloads on demand;
// a plugin process does not need this, tests and embedders do.
func (e *Engine) Close() error {
	e.sem <- struct{}{}
	defer e.unlock()
	e.logEvicted(e.models.purge())
	e.unloadOSD()
	return nil
}

// model returns the loaded API for lang, loading it on a cache miss. The
// caller holds the lock.
func (e *Engine) model(cfg *config, lang string) (*tessAPI, error) {
	if api := e.models.get(lang); api != nil {
		return api, nil
	}
	e.logEvicted(e.models.makeRoom())
	var api *tessAPI
	var err error
	if data, ok, derr := cfg.builtinModel(lang); derr != nil {
		err = derr
	} else if ok {
		api, err = newTessAPIFromMemory(data, lang)
	} else {
		api, err = newTessAPI(cfg.tessdataDir, lang)
	}
	if err != nil {
		return nil, fmt.Errorf("load tesseract model %s: %w", lang, err)
	}
	e.loads++
	e.models.add(lang, api)
	e.logger.Info("loaded tesseract model", "language", lang)
	return api, nil
}

func (e *Engine) logEvicted(langs []string) {
	for _, lang := range langs {
		e.logger.Debug("unloaded tesseract model", "language", lang)
	}
}

var _ sdk.OCREngine = (*Engine)(nil)
