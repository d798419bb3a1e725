package app

import (
	"log/slog"
	"path/filepath"

	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/downloads"
	"github.com/ocrbox/ocrbox/core/pagehelper"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/storage/search"
)

// newFileService builds the download service with page images for the
// result viewer, rendered by their own page helper runner (same limits as
// the worker's) into data_dir/scratch and kept in the task's directory.
func newFileService(cfg *config.Config, store *boltstore.Store, files *filestore.Store, log *slog.Logger) *downloads.Service {
	svc := downloads.NewService(store, files, log)
	svc.SetAnalyzer(search.TextTerms)
	r, err := pagehelper.New(pagehelper.Options{Timeout: max(cfg.OCR.PageTimeout, helperMinTimeout),
		Nice: cfg.OCR.EngineNice, MaxMegapixels: cfg.Limits.MaxMegapixels,
		CacheDir: filepath.Join(cfg.CachePath(), "wasm")}, log)
	if err != nil {
		log.Error("page helper unavailable: no page images", "error", err)
		return svc
	}
	svc.SetPageImages(downloads.PageImages{Renderer: r, Tree: files, MaxMegapixels: cfg.Limits.MaxMegapixels,
		ScratchDir: filepath.Join(cfg.Storage.DataDir, "scratch"), NewID: boltstore.NewID})
	return svc
}
