package tasks_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/test/testimage"
)

// TestCreateRefusesPageTooLargeForEngine: an engine that takes pages as
// bytes can be sent at most EnginePageBytes; a single-page upload above it
// is refused at once with 413 naming the limit, and leaves nothing. A
// multi-page upload of that size is accepted (its pages are sent one by
// one), and so is the same file for an engine that reads files.
func TestCreateRefusesPageTooLargeForEngine(t *testing.T) {
	t.Parallel()
	png := pngBytes(t, 300, 300)
	tiff := testimage.GrayTIFF(3)
	limit := int64(min(len(png), len(tiff)) - 1)
	f := newFixture(t, tasks.Options{EnginePageBytes: func(engine string) int64 {
		if engine == "tesseract" {
			return limit
		}
		return 0
	}})
	ctx := context.Background()
	p, err := f.svc.ParseParams(ctx, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Create(ctx, f.alice.ID, p, tasks.Upload{Filename: "big.png", Body: bytes.NewReader(png)})
	var de *domain.Error
	if !errors.As(err, &de) || !errors.Is(err, domain.ErrTooLarge) || de.Code != "file_too_large" {
		t.Fatalf("err = %v, want 413 file_too_large", err)
	}
	if !strings.Contains(de.Message, `engine "tesseract"`) || !strings.Contains(de.Message, "MiB") {
		t.Errorf("message %q does not name the engine and the limit", de.Message)
	}
	if left, _ := os.ReadDir(filepath.Join(f.filesDir, f.alice.ID)); len(left) != 0 {
		t.Errorf("refused upload left %d task directories", len(left))
	}
	if n, _ := f.store.CountTasks(ctx, f.alice.ID); n != 0 {
		t.Errorf("refused upload left %d tasks", n)
	}
	if task := f.upload(t, f.alice, "three.tif", tiff); task.PagesTotal != 3 {
		t.Errorf("multi-page upload: %d pages", task.PagesTotal)
	}
}
