package tasks_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/storage/boltstore"
)

// fullDisk is the file tree with a disk that is full: every file it
// creates is /dev/full, where the kernel answers each write with ENOSPC.
type fullDisk struct{ tasks.TaskFiles }

func (fullDisk) Create(context.Context, string, string, string) (*os.File, error) {
	return os.OpenFile("/dev/full", os.O_WRONLY, 0)
}

// TestUploadOnAFullDisk: an upload that meets a full disk is refused as a
// temporary condition (503 disk_full) whose message names no path, and
// nothing of it stays behind.
func TestUploadOnAFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Fatalf("/dev/full is missing: %v", err)
	}
	f := newFixture(t, tasks.Options{})
	svc := tasks.NewService(f.store, fullDisk{f.files}, testEngines, f.runner, f.broker, pages.Sniff,
		func(context.Context, string, string) (int, error) { return 1, nil }, boltstore.NewID,
		tasks.Options{DefaultEngine: "tesseract", DefaultLang: "eng", DefaultOutputs: []domain.FileKind{domain.KindTxt}, MaxUploadBytes: 8 << 20})
	p, err := svc.ParseParams(context.Background(), "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Create(context.Background(), f.alice.ID, p, tasks.Upload{Filename: "scan.png", Body: bytes.NewReader(pngBytes(t, 200, 100))})
	var de *domain.Error
	if !errors.As(err, &de) || !errors.Is(err, domain.ErrUnavailable) || de.Code != "disk_full" {
		t.Fatalf("upload on a full disk: %v, want the temporary disk_full error", err)
	}
	if strings.Contains(de.Message, "/") || strings.Contains(de.Message, f.alice.ID) {
		t.Errorf("the message a client sees names a path: %q", de.Message)
	}
	if !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("the error for the log lost its cause: %v", err)
	}
	if entries, _ := os.ReadDir(f.filesDir + "/" + f.alice.ID); len(entries) != 0 {
		t.Errorf("a refused upload left %d task directories", len(entries))
	}
	if n, _ := f.store.CountTasks(context.Background(), f.alice.ID); n != 0 {
		t.Errorf("a refused upload left %d tasks", n)
	}
}
