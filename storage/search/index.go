package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	zapx "github.com/blevesearch/zapx/v17"

	"github.com/ocrbox/ocrbox/core/domain"
)

// errClosed answers calls on a closed index (or one whose Reset failed).
var errClosed = errors.New("search index is closed")

// zapx merges segments through a write buffer of 1 MiB allocated for each
// merge. ocrbox's segments are small and merged often (task changes are
// indexed as they happen), and under load those buffers were a quarter of
// everything the server allocated, so of its garbage collections, whose
// pauses showed in the API's tail latency. 64 KiB writes the same files.
// An init function runs before any goroutine, so this cannot race.
func init() { zapx.DefaultFileMergerBufferSize = 64 << 10 }

// Internal keys of the index (bleve's SetInternal storage).
var (
	keyMappingVersion = []byte("ocrbox_mapping_version")
	keyCleanShutdown  = []byte("ocrbox_clean_shutdown")
)

// Doc is what the index holds about one task (see domain.SearchDoc).
type Doc = domain.SearchDoc

// fields is the bleve document of d.
func fields(d Doc) map[string]any {
	m := map[string]any{
		fieldUserID:     d.UserID,
		fieldTaskID:     d.TaskID,
		fieldFilename:   d.Filename,
		fieldStatus:     string(d.Status),
		fieldCreatedAt:  d.CreatedAt.UTC(),
		fieldDurationMS: float64(d.DurationMS),
		fieldPages:      float64(d.Pages),
	}
	if d.CompletedAt != nil {
		m[fieldCompletedAt] = d.CompletedAt.UTC()
	}
	if d.Text != "" {
		m[fieldText] = d.Text
	}
	return m
}

func valid(d Doc) error {
	if d.TaskID == "" || d.UserID == "" {
		return fmt.Errorf("index document without task or user id: %w", domain.ErrInvalid)
	}
	return nil
}

// Index is the task search index. It is safe for concurrent use.
type Index struct {
	dir string

	mu  sync.RWMutex // guards idx against Reset; readers are searches and writes
	idx bleve.Index
}

// scorchConfig makes a batch return once it is searchable, not once it is
// on disk: the index is derived, Close persists what is left, and an
// unclean shutdown is detected and repaired by a rebuild.
var scorchConfig = map[string]any{"unsafe_batch": true}

// Open opens the index in dir. When the directory is missing, corrupt, of an
// older MappingVersion, incompletely built or not closed cleanly, Open
// replaces it with an empty index and returns rebuildNeeded: the caller
// then fills it with Rebuild (or calls MarkBuilt when there is nothing to
// index). An index built by a newer ocrbox (newer mapping version) is
// rebuilt too: it is derived data, and after a downgrade the older mapping
// is the one this binary can query.
func Open(ctx context.Context, dir string) (ix *Index, rebuildNeeded bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("open search index %s: %w", dir, err)
	}
	ix = &Index{dir: dir}
	idx, err := bleve.OpenUsing(dir, scorchConfig)
	switch {
	case errors.Is(err, bleve.ErrorIndexPathDoesNotExist):
		rebuildNeeded = true
	case err != nil:
		rebuildNeeded = true // unreadable: rebuilt from bbolt below
	default:
		if builtAndClean(idx) {
			ix.idx = idx
		} else {
			_ = idx.Close()
			rebuildNeeded = true
		}
	}
	if rebuildNeeded {
		if ix.idx, err = create(dir); err != nil {
			return nil, false, fmt.Errorf("open search index %s: %w", dir, err)
		}
	}
	// Until Close says otherwise, this index is not known to be complete.
	if err := setInternalDurable(ix.idx, keyCleanShutdown, []byte("0")); err != nil {
		_ = ix.idx.Close()
		return nil, false, fmt.Errorf("open search index %s: %w", dir, err)
	}
	return ix, rebuildNeeded, nil
}

// builtAndClean reports whether idx was completely built with the current
// mapping and closed cleanly.
func builtAndClean(idx bleve.Index) bool {
	raw, err := idx.GetInternal(keyMappingVersion)
	if err != nil || string(raw) != strconv.Itoa(MappingVersion) {
		return false
	}
	clean, err := idx.GetInternal(keyCleanShutdown)
	return err == nil && string(clean) == "1"
}

// create replaces whatever is in dir by a new, empty index.
func create(dir string) (bleve.Index, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("remove old index: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, err
	}
	m, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("build mapping: %w", err)
	}
	idx, err := bleve.NewUsing(dir, m, scorch.Name, scorch.Name, scorchConfig)
	if err != nil {
		return nil, fmt.Errorf("create index: %w", err)
	}
	return idx, nil
}

// setInternalDurable writes an internal key and waits until it, and so
// every batch before it, is on disk.
func setInternalDurable(idx bleve.Index, key, val []byte) error {
	b := idx.NewBatch()
	b.SetInternal(key, val)
	return applyDurable(idx, b)
}

func applyDurable(idx bleve.Index, b *bleve.Batch) error {
	done := make(chan error, 1)
	b.SetPersistedCallback(index.BatchCallback(func(err error) { done <- err }))
	if err := idx.Batch(b); err != nil {
		return err
	}
	return <-done
}

// Close persists what is pending, records a clean shutdown and closes the
// index.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.idx == nil {
		return nil
	}
	err := setInternalDurable(ix.idx, keyCleanShutdown, []byte("1"))
	if cerr := ix.idx.Close(); err == nil {
		err = cerr
	}
	ix.idx = nil
	if err != nil {
		return fmt.Errorf("close search index %s: %w", ix.dir, err)
	}
	return nil
}

// Built reports whether the index holds every task: it was opened intact or
// a Rebuild (or MarkBuilt) has completed since.
func (ix *Index) Built(ctx context.Context) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.idx == nil || ctx.Err() != nil {
		return false
	}
	raw, err := ix.idx.GetInternal(keyMappingVersion)
	return err == nil && string(raw) == strconv.Itoa(MappingVersion)
}

// MarkBuilt records that the index is complete for the current mapping
// version (Rebuild does it itself).
func (ix *Index) MarkBuilt(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.idx == nil {
		return errClosed
	}
	if err := setInternalDurable(ix.idx, keyMappingVersion, []byte(strconv.Itoa(MappingVersion))); err != nil {
		return fmt.Errorf("mark search index built: %w", err)
	}
	return nil
}

// Index adds or replaces one task's document.
func (ix *Index) Index(ctx context.Context, d Doc) error {
	return ix.Update(ctx, []Doc{d}, nil)
}

// Delete removes a task's document; an absent one is not an error.
func (ix *Index) Delete(ctx context.Context, taskID string) error {
	return ix.Update(ctx, nil, []string{taskID})
}

// Update indexes put and removes del in one batch.
func (ix *Index) Update(ctx context.Context, put []Doc, del []string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("update search index: %w", err)
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.idx == nil {
		return errClosed
	}
	b := ix.idx.NewBatch()
	for _, d := range put {
		if err := valid(d); err != nil {
			return fmt.Errorf("update search index: %w", err)
		}
		if err := b.Index(d.TaskID, fields(d)); err != nil {
			return fmt.Errorf("index task %s: %w", d.TaskID, err)
		}
	}
	for _, id := range del {
		b.Delete(id)
	}
	if err := ix.idx.Batch(b); err != nil {
		return fmt.Errorf("update search index: %w", err)
	}
	return nil
}

// DocCount returns how many tasks the index holds.
func (ix *Index) DocCount(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.idx == nil {
		return 0, errClosed
	}
	return ix.idx.DocCount()
}
