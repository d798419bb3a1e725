package downloads_test

import (
	"context"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/downloads"
	"github.com/ocrbox/ocrbox/core/pages"
	"github.com/ocrbox/ocrbox/storage/boltstore"
)

// fakeRenderer writes "png:<width>:<quarters>" to the job's output.
type fakeRenderer struct{ calls atomic.Int32 }

func (r *fakeRenderer) Preview(_ context.Context, j pages.Job, width, quarters int) (pages.Page, error) {
	r.calls.Add(1)
	data := []byte("png:" + itoa(width) + ":" + itoa(quarters) + ":" + j.ContentType)
	return pages.Page{Path: j.Out}, os.WriteFile(j.Out, data, 0o600)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestPageImage: rendered once per page and width (rounded up), then read
// from the task's directory; every request audited; bad pages 422, a
// pending task 409, another user 403.
func TestPageImage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	r := &fakeRenderer{}
	f.svc.SetPageImages(downloads.PageImages{Renderer: r, Tree: f.tree, ScratchDir: t.TempDir(), NewID: boltstore.NewID})
	if _, err := f.store.UpdateTask(ctx, f.alice.ID, f.task.ID, func(x *domain.Task) error { x.PagesTotal = 2; return nil }); err != nil {
		t.Fatal(err)
	}
	read := func(page, width int) string {
		t.Helper()
		fh, size, err := f.svc.PageImage(ctx, f.alice.ID, f.task.ID, page, width, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		b, _ := io.ReadAll(fh)
		if int64(len(b)) != size {
			t.Errorf("size %d, read %d", size, len(b))
		}
		return string(b)
	}
	if got := read(2, 500); got != "png:640:0:image/png" {
		t.Errorf("first render %q", got)
	}
	if got := read(2, 640); got != "png:640:0:image/png" || r.calls.Load() != 1 {
		t.Errorf("second request %q after %d renders, want the cached image after 1", got, r.calls.Load())
	}
	read(1, 0) // the default width
	if r.calls.Load() != 2 {
		t.Errorf("%d renders, want 2", r.calls.Load())
	}
	for _, tc := range []struct {
		name        string
		user        domain.User
		page, width int
		want        error
	}{
		{"page past the end", f.alice, 3, 0, domain.ErrInvalid},
		{"page 0", f.alice, 0, 0, domain.ErrInvalid},
		{"too wide", f.alice, 1, 2001, domain.ErrInvalid},
		{"another user", f.bob, 1, 0, domain.ErrForbidden},
	} {
		if _, _, err := f.svc.PageImage(ctx, tc.user.ID, f.task.ID, tc.page, tc.width, "10.0.0.2"); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := f.store.UpdateTask(ctx, f.alice.ID, f.task.ID, func(x *domain.Task) error { x.PagesTotal = 0; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.PageImage(ctx, f.alice.ID, f.task.ID, 1, 0, "10.0.0.1"); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("pages not counted: %v, want conflict", err)
	}
	evs, err := f.store.ListAudit(ctx, f.alice.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	results := map[string]int{}
	for _, ev := range evs {
		if ev.Action == downloads.ActionPageImage {
			results[ev.Result]++
		}
	}
	if results["allowed"] != 3 || results["invalid"] != 4 || len(results) != 2 {
		t.Errorf("alice's page_image audit %v, want 3 allowed and 4 invalid", results)
	}
	if evs, _ := f.store.ListAudit(ctx, f.bob.ID, 100); len(evs) != 1 || evs[0].Result != "denied" || evs[0].FileID != "page-1" {
		t.Errorf("bob's audit %+v, want one denied page-1", evs)
	}
}
