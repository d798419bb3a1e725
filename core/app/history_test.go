package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/config"
	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
	"github.com/ocrbox/ocrbox/storage/filestore/filestoretest"
	"github.com/ocrbox/ocrbox/storage/search"
)

func testConfig(t *testing.T, enabled bool) *config.Config {
	t.Helper()
	cfg, err := config.Load("", nil, map[string]any{"storage.data_dir": t.TempDir(), "history.enabled": enabled})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// seed creates a migrated database with one user and one task.
func seed(t *testing.T, cfg *config.Config) {
	t.Helper()
	ctx := context.Background()
	store, err := openStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := store.UpsertUser(ctx, domain.User{Email: "a@example.org", Provider: "local"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	task := &domain.Task{ID: boltstore.NewID(), UserID: u.ID, Filename: "kept.png", Status: domain.StatusPending, CreatedAt: now}
	boltstoretest.CreateTasks(t, store, task)
}

func TestReindex(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := testConfig(t, true)
	seed(t, cfg)
	var out bytes.Buffer
	if err := Reindex(ctx, cfg, &out, log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "indexed 1 tasks") {
		t.Fatalf("output %q", out.String())
	}
	index, rebuild, err := search.Open(ctx, IndexPath(cfg))
	if err != nil || rebuild {
		t.Fatalf("reindexed index: rebuild %v, %v", rebuild, err)
	}
	index.Close()

	// A running server holds the database: reindex says what to do.
	store, err := openStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = Reindex(ctx, cfg, &out, log)
	if err == nil || !strings.Contains(err.Error(), "stop it") || !strings.Contains(err.Error(), "rebuilds") {
		t.Fatalf("want the server-running message, got %v", err)
	}
}

func TestOpenHistory(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, enabled := range []bool{true, false} {
		cfg := testConfig(t, enabled)
		seed(t, cfg)
		if err := os.MkdirAll(IndexPath(cfg), 0o700); err != nil { // a leftover index
			t.Fatal(err)
		}
		store, err := openStore(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		files := filestoretest.New(t)
		h, err := openHistory(ctx, cfg, store, files, tasks.NewBroker(), log)
		if err != nil {
			t.Fatal(err)
		}
		_, isFanout := h.events.(tasks.Fanout)
		if enabled != isFanout || enabled != (h.api() != nil) || enabled != (h.searcher() != nil) {
			t.Fatalf("enabled=%v: events %T, api %v, searcher %v", enabled, h.events, h.api(), h.searcher())
		}
		if !enabled {
			if _, err := os.Stat(IndexPath(cfg)); !os.IsNotExist(err) {
				t.Fatal("history off must remove the stale index")
			}
		} else {
			h.start(ctx, log)
			deadline := time.Now().Add(10 * time.Second)
			for !h.indexer.Ready() && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if !h.indexer.Ready() {
				t.Fatal("the index was not rebuilt at start")
			}
		}
		h.close(log)
		files.Close()
		store.Close()
	}
}
