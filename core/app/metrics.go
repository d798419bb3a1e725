package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ocrbox/ocrbox/core/authguard"
	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/metrics"
	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/storage/boltstore"
)

// watchState points the metrics' gauges at the live services.
func watchState(m *metrics.Metrics, cfg *config.Config, store *boltstore.Store,
	eng *engineSet, providers []*host.Process, guards []*authguard.Provider) {
	src := metrics.Sources{
		Queue:    store.QueueStats,
		Workers:  eng.Busy,
		Sessions: store.CountSessions,
		Breakers: func() map[string]string {
			out := make(map[string]string, len(guards))
			for _, g := range guards {
				out[g.Name()] = g.State()
			}
			return out
		},
		PluginRestarts: func() map[string]int {
			out := eng.Restarts()
			for _, p := range providers {
				out[p.Name()] += p.Restarts()
			}
			return out
		},
		Storage: func(ctx context.Context) (metrics.Storage, error) {
			return storageUse(ctx, cfg, store)
		},
	}
	clusterMetrics(&src, eng.remote)
	m.Watch(src)
}

// storageUse measures the database file, the search index, the users'
// files (from the running counters, not a walk) and the disk.
func storageUse(ctx context.Context, cfg *config.Config, store *boltstore.Store) (metrics.Storage, error) {
	var s metrics.Storage
	if fi, err := os.Stat(DBPath(cfg)); err == nil {
		s.DatabaseBytes = fi.Size()
	}
	_ = filepath.WalkDir(IndexPath(cfg), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				s.IndexBytes += fi.Size()
			}
		}
		return nil // a file merged away mid-walk is not an error
	})
	files, err := store.TotalStoredBytes(ctx)
	if err != nil {
		return s, err
	}
	s.FilesBytes = files
	var st syscall.Statfs_t
	if err := syscall.Statfs(cfg.Storage.DataDir, &st); err != nil {
		return s, err
	}
	s.DiskFreeBytes = int64(st.Bavail) * st.Bsize
	s.DiskSizeBytes = int64(st.Blocks) * st.Bsize
	return s, nil
}

// serveMetrics starts the separate metrics listener (metrics.listen); it
// returns a function that stops it. Without metrics.listen it does nothing:
// the main listener serves /metrics.
func serveMetrics(cfg *config.Config, m *metrics.Metrics, log *slog.Logger) (stop func(), err error) {
	if !cfg.Metrics.Enabled || cfg.Metrics.Listen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.Metrics.Listen)
	if err != nil {
		return nil, &config.KeyError{Key: "metrics.listen", Reason: err.Error()}
	}
	h := m.Handler()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if want := cfg.Metrics.Token; want != "" {
			got := r.Header.Get("Authorization")
			if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+want)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ocrbox metrics"`)
				http.Error(w, "metrics need the bearer token set in metrics.token", http.StatusUnauthorized)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "error", err)
		}
	}()
	log.Info("metrics served", "listen", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
