package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/history"
	"github.com/ocrbox/ocrbox/core/httpapi"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/storage/search"
)

// IndexPath is the search index directory inside the data directory.
func IndexPath(cfg *config.Config) string { return filepath.Join(cfg.Storage.DataDir, "search.bleve") }

// historyParts is the task history as serve wires it: with history.enabled
// off, all nil but events (the plain broker).
type historyParts struct {
	events  tasks.Events
	index   *search.Index
	indexer *history.Indexer
	service *history.Service
	stop    context.CancelFunc
	done    chan struct{}
}

// openHistory opens (or recreates) the search index and builds the
// indexer, which hears every task update through the returned events, and
// the history service. With history off, a leftover index is removed: it
// would be stale when history is switched on again, and it is rebuilt then.
func openHistory(ctx context.Context, cfg *config.Config, store *boltstore.Store, files *filestore.Store,
	broker *tasks.Broker, log *slog.Logger) (*historyParts, error) {
	h := &historyParts{events: broker}
	if !cfg.History.Enabled {
		if err := os.RemoveAll(IndexPath(cfg)); err != nil {
			return nil, fmt.Errorf("remove search index of the disabled history: %w", err)
		}
		return h, nil
	}
	index, rebuild, err := search.Open(ctx, IndexPath(cfg))
	if err != nil {
		return nil, err
	}
	if rebuild {
		log.Info("search index missing, outdated or not closed cleanly: rebuilding it from the database in the background",
			"path", IndexPath(cfg))
	}
	h.index = index
	h.indexer = history.NewIndexer(store, files, index, !rebuild, history.IndexerOptions{}, log)
	h.service = history.NewService(store, index, h.indexer.Ready)
	h.events = tasks.Fanout{Broker: broker, Also: []tasks.Publisher{h.indexer}}
	return h, nil
}

// start runs the indexer (first rebuilding the index if needed) until stop.
func (h *historyParts) start(ctx context.Context, log *slog.Logger) {
	h.done = make(chan struct{})
	if h.indexer == nil {
		close(h.done)
		return
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h.stop = cancel
	go func() {
		defer close(h.done)
		if err := h.indexer.Run(runCtx); err != nil {
			log.Error("search indexer stopped", "error", err)
		}
	}()
}

// close stops the indexer once the queued updates are indexed, then closes
// the index cleanly. Call it after the worker and HTTP server stopped.
func (h *historyParts) close(log *slog.Logger) {
	if h.stop != nil {
		h.stop()
		<-h.done
		h.stop = nil
	}
	if h.index != nil {
		if err := h.index.Close(); err != nil {
			log.Error("close search index", "error", err)
		}
		h.index = nil
	}
}

// taskDeindexer is the search index as the janitor and account deletion
// remove tasks from it.
type taskDeindexer interface {
	Delete(ctx context.Context, taskID string) error
}

// deindexer is the index, or nothing to remove from when history is off.
func (h *historyParts) deindexer() taskDeindexer {
	if h.index == nil {
		return noIndex{}
	}
	return h.index
}

// searcher is what GET /tasks sorts through, nil with history off.
func (h *historyParts) searcher() tasks.Searcher {
	if h.service == nil {
		return nil
	}
	return h.service
}

// api is the history service of the HTTP layer, nil (feature_disabled)
// with history off.
func (h *historyParts) api() httpapi.History {
	if h.service == nil {
		return nil
	}
	return h.service
}

// Reindex rebuilds the search index from the database (ocrbox reindex). The
// server must be stopped: it holds the database; it also rebuilds the index
// by itself at start whenever that is needed.
func Reindex(ctx context.Context, cfg *config.Config, out io.Writer, log *slog.Logger) error {
	store, err := openStore(ctx, cfg)
	if errors.Is(err, boltstore.ErrLocked) {
		return fmt.Errorf("the ocrbox server is running (it holds %s): stop it and run ocrbox reindex again — "+
			"or simply restart it, as the server rebuilds a missing, outdated or damaged index by itself at start", DBPath(cfg))
	}
	if err != nil {
		return err
	}
	defer store.Close()
	if v, err := store.SchemaVersion(ctx); err != nil {
		return err
	} else if v != boltstore.LatestSchema() {
		return fmt.Errorf("database schema version %d, this ocrbox expects %d: run ocrbox migrate first", v, boltstore.LatestSchema())
	}
	files, err := filestore.New(filepath.Join(cfg.Storage.DataDir, "files"))
	if err != nil {
		return err
	}
	defer files.Close()
	index, _, err := search.Open(ctx, IndexPath(cfg))
	if err != nil {
		return err
	}
	indexer := history.NewIndexer(store, files, index, false, history.IndexerOptions{}, log)
	start := time.Now()
	n, err := indexer.Rebuild(ctx)
	if cerr := index.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	fmt.Fprintf(out, "indexed %d tasks in %s (%s)\n", n, time.Since(start).Round(time.Millisecond), IndexPath(cfg))
	return nil
}
