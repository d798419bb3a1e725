package tasks_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/test/testimage"
)

// batchItem is one step of an upload: a file, or a read error.
type batchItem struct {
	data []byte
	err  error
}

// TestCreateBatch: a batch is all or nothing. When a file is refused, or
// the next one cannot be read, the tasks made from the earlier files are
// gone (records and directories), and no further file is read.
func TestCreateBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	png := pngBytes(t, 40, 30)
	broken := domain.Errorf(domain.ErrInvalid, domain.CodeInvalidRequest, "malformed multipart body")
	tests := []struct {
		name     string
		items    []batchItem
		maxFiles int
		kind     error
		code     string // "" = accepted
		pulled   int    // items the batch asked for
	}{
		{"one file", []batchItem{{data: png}}, 3, nil, "", 1},
		{"three files, the limit", []batchItem{{data: png}, {data: png}, {data: png}}, 3, nil, "", 3},
		{"no limit", []batchItem{{data: png}, {data: png}, {data: png}, {data: png}}, 0, nil, "", 4},
		{"no file", nil, 3, domain.ErrInvalid, domain.CodeNoFiles, 0},
		{"the second file empty", []batchItem{{data: png}, {data: nil}, {data: png}}, 3, domain.ErrInvalid, domain.CodeEmptyFile, 2},
		{"the third file not an image", []batchItem{{data: png}, {data: png}, {data: []byte("plain text, not a scan\n")}},
			3, domain.ErrUnsupportedType, domain.CodeUnsupportedType, 3},
		{"one file too many", []batchItem{{data: png}, {data: png}, {data: png}}, 2, domain.ErrTooLarge, domain.CodeTooManyFiles, 3},
		{"the body breaks after a file", []batchItem{{data: png}, {err: broken}, {data: png}}, 3, domain.ErrInvalid, domain.CodeInvalidRequest, 2},
		{"the first file too large", []batchItem{{data: testimage.GrayTIFF(limits.MaxPages + 1)}, {data: png}}, 3, domain.ErrTooLarge, domain.CodeTooManyPages, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tasks.Options{})
			p, err := f.svc.ParseParams(ctx, "", "", "")
			if err != nil {
				t.Fatal(err)
			}
			pulled := 0
			var files iter.Seq2[tasks.Upload, error] = func(yield func(tasks.Upload, error) bool) {
				for i, it := range tt.items {
					pulled++
					up := tasks.Upload{Filename: fmt.Sprintf("page-%d.png", i+1), Body: bytes.NewReader(it.data)}
					if !yield(up, it.err) {
						return
					}
				}
			}
			got, err := f.svc.CreateBatch(ctx, f.alice.ID, p, files, tt.maxFiles)
			if pulled != tt.pulled {
				t.Errorf("the batch read %d files, want %d", pulled, tt.pulled)
			}
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				n, err := f.store.CountTasks(ctx, f.alice.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tt.items) || n != len(tt.items) || len(f.taskDirs(t)) != len(tt.items) {
					t.Fatalf("%d tasks returned, %d stored, dirs %v; want %d", len(got), n, f.taskDirs(t), len(tt.items))
				}
				for i, task := range got {
					if want := fmt.Sprintf("page-%d.png", i+1); task.Filename != want || task.UserID != f.alice.ID {
						t.Errorf("task %d: %s of %s, want %s of alice", i, task.Filename, task.UserID, want)
					}
				}
				return
			}
			wantDomainError(t, err, tt.kind, tt.code)
			if got != nil {
				t.Errorf("refused batch returned %d tasks", len(got))
			}
			f.wantNothingLeft(t)
		})
	}
}

// TestCreateBatchUndoOutlivesTheRequest: a client that goes away mid-upload
// cancels the request's context; the tasks already made are still removed.
func TestCreateBatchUndoOutlivesTheRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, tasks.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	p, err := f.svc.ParseParams(ctx, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	gone := errors.New("connection reset")
	files := func(yield func(tasks.Upload, error) bool) {
		if !yield(tasks.Upload{Filename: "a.png", Body: bytes.NewReader(pngBytes(t, 40, 30))}, nil) {
			return
		}
		cancel()
		yield(tasks.Upload{}, gone)
	}
	if _, err := f.svc.CreateBatch(ctx, f.alice.ID, p, files, 3); !errors.Is(err, gone) {
		t.Fatalf("err = %v, want %v", err, gone)
	}
	f.wantNothingLeft(t)
}
