package search

import (
	"context"
	"fmt"
)

// Rebuild batches: a batch is applied when it holds this many documents or
// this many bytes of text, whichever comes first.
const (
	rebuildBatchDocs  = 2000
	rebuildBatchBytes = 32 << 20
)

// Rebuild empties the index and fills it with every document next returns
// (until it reports false), in batches, then records the mapping version.
// If it fails or ctx ends, the index stays marked incomplete, and the next
// Open asks for a rebuild again. It returns how many documents it indexed.
func (ix *Index) Rebuild(ctx context.Context, next func() (Doc, bool, error)) (int, error) {
	if err := ix.Reset(ctx); err != nil {
		return 0, err
	}
	n := 0
	var (
		put   []Doc
		bytes int
	)
	flush := func() error {
		if len(put) == 0 {
			return nil
		}
		if err := ix.Update(ctx, put, nil); err != nil {
			return err
		}
		n += len(put)
		put, bytes = put[:0], 0
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("rebuild search index: %w", err)
		}
		d, ok, err := next()
		if err != nil {
			return n, fmt.Errorf("rebuild search index: %w", err)
		}
		if !ok {
			break
		}
		put = append(put, d)
		bytes += len(d.Text) + len(d.Filename)
		if len(put) >= rebuildBatchDocs || bytes >= rebuildBatchBytes {
			if err := flush(); err != nil {
				return n, fmt.Errorf("rebuild search index: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return n, fmt.Errorf("rebuild search index: %w", err)
	}
	if err := ix.MarkBuilt(ctx); err != nil {
		return n, err
	}
	return n, nil
}

// Reset replaces the index by an empty, not-yet-built one. Searches and
// writes wait while it runs.
func (ix *Index) Reset(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.idx != nil {
		_ = ix.idx.Close()
	}
	idx, err := create(ix.dir)
	if err != nil {
		ix.idx = nil
		return fmt.Errorf("reset search index: %w", err)
	}
	ix.idx = idx
	if err := setInternalDurable(idx, keyCleanShutdown, []byte("0")); err != nil {
		return fmt.Errorf("reset search index: %w", err)
	}
	return nil
}

// DeleteUser removes every document of userID and returns how many.
func (ix *Index) DeleteUser(ctx context.Context, userID string) (int, error) {
	if userID == "" {
		return 0, fmt.Errorf("delete user from search index: no user id")
	}
	n := 0
	for {
		ids, _, err := ix.Search(ctx, userID, Query{Limit: 5000})
		if err != nil {
			return n, fmt.Errorf("delete user from search index: %w", err)
		}
		if len(ids) == 0 {
			return n, nil
		}
		if err := ix.Update(ctx, nil, ids); err != nil {
			return n, fmt.Errorf("delete user from search index: %w", err)
		}
		n += len(ids)
	}
}
