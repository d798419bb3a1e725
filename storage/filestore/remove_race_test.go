package filestore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
)

// TestNothingOutlivesRemoveTask: once RemoveTask has run, no write can bring
// the task's directory back: not a write that started before (its commit
// fails), not one that comes after.
func TestNothingOutlivesRemoveTask(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if err := s.MakeTaskDir(ctx, userA, task1); err != nil {
		t.Fatal(err)
	}
	inFlight, err := s.CreateTemp(ctx, userA, task1, "page-0001.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inFlight.WriteString(`{"page":1}`); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveTask(ctx, userA, task1); err != nil {
		t.Fatal(err)
	}
	if err := inFlight.Commit(); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("commit after RemoveTask: %v, want ErrNotFound", err)
	}
	if err := s.WriteFileAtomic(ctx, userA, task1, "page-0002.json", []byte("{}")); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("WriteFileAtomic after RemoveTask: %v, want ErrNotFound", err)
	}
	if _, err := s.Create(ctx, userA, task1, "result.txt"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Create after RemoveTask: %v, want ErrNotFound", err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), userA, task1)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the task directory is back: %v", err)
	}
}

// TestRemoveTaskRacesWriters deletes tasks while writers keep adding files
// to them, as a worker finishing pages does: every RemoveTask succeeds (no
// "directory not empty") and no directory is left.
func TestRemoveTaskRacesWriters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	for round := range 50 {
		task := fmt.Sprintf("0190f5d2-7a1b-7c3d-8e4f-%012d", round)
		if err := s.MakeTaskDir(ctx, userA, task); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range 4 {
			wg.Go(func() {
				<-start
				for n := range 50 {
					name := fmt.Sprintf("page-%04d.json", w*100+n)
					err := s.WriteFileAtomic(ctx, userA, task, name, []byte("{}"))
					if errors.Is(err, domain.ErrNotFound) {
						return // the task is gone: the worker stops
					}
					if err != nil {
						t.Errorf("write: %v", err)
						return
					}
				}
			})
		}
		close(start)
		if err := s.RemoveTask(ctx, userA, task); err != nil {
			t.Fatalf("round %d: RemoveTask: %v", round, err)
		}
		wg.Wait()
		if _, err := os.Stat(filepath.Join(s.Dir(), userA, task)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("round %d: the task directory survived its removal: %v", round, err)
		}
	}
}
