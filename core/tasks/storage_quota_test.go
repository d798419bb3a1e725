package tasks_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
)

// TestStorageQuota: uploads fit until the user's stored bytes would pass
// max_storage_mb_per_user; then 429 quota_exceeded with the limit in the
// message, nothing left behind, other users unaffected, and deleting frees
// room.
func TestStorageQuota(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	png := pngBytes(t, 20, 20)
	size := int64(len(png))
	const limit = 2 << 20 // 2 MB, so the message shows a whole number
	f := newFixture(t, tasks.Options{MaxStorageBytesPerUser: limit, MaxUploadBytes: 4 << 20})
	p, _ := f.svc.ParseParams(ctx, "", "", "")

	// A PNG padded after IEND to a chosen size (decoders ignore the tail).
	padded := func(n int64) []byte { return append(bytes.Clone(png), make([]byte, n-size)...) }
	first, err := f.svc.Create(ctx, f.alice.ID, p, tasks.Upload{Filename: "big.png", Body: bytes.NewReader(padded(limit - 1000))})
	if err != nil {
		t.Fatal(err)
	}
	// Early check from a Content-Length that cannot fit.
	de := wantDomainError(t, f.svc.CheckStorage(ctx, f.alice.ID, 2000), domain.ErrQuota, "quota_exceeded")
	if !strings.Contains(de.Message, "at most 2 MB") {
		t.Errorf("message %q lacks the limit", de.Message)
	}
	if err := f.svc.CheckStorage(ctx, f.alice.ID, 1000); err != nil {
		t.Errorf("CheckStorage of exactly what is left: %v", err)
	}
	// Too big for what is left, though under the upload limit: refused
	// while streaming, as a quota error, not 413; nothing stays on disk.
	_, err = f.svc.Create(ctx, f.alice.ID, p, tasks.Upload{Filename: "more.png", Body: bytes.NewReader(padded(1500))})
	wantDomainError(t, err, domain.ErrQuota, "quota_exceeded")
	if dirs := f.taskDirs(t); len(dirs) != 1 {
		t.Errorf("task dirs after the refusal: %v", dirs)
	}
	// What fits still goes in, up to the byte.
	if _, err := f.svc.Create(ctx, f.alice.ID, p, tasks.Upload{Filename: "fits.png", Body: bytes.NewReader(padded(1000))}); err != nil {
		t.Fatalf("an upload of exactly the room left: %v", err)
	}
	_, err = f.svc.Create(ctx, f.alice.ID, p, tasks.Upload{Filename: "one.png", Body: bytes.NewReader(png)})
	wantDomainError(t, err, domain.ErrQuota, "quota_exceeded")

	// Bob has his own allowance. Past both limits, the tighter one answers.
	f.upload(t, f.bob, "b.png", png)
	_, err = f.svc.Create(ctx, f.bob.ID, p, tasks.Upload{Filename: "huge.png", Body: bytes.NewReader(padded(5 << 20))})
	wantDomainError(t, err, domain.ErrQuota, "quota_exceeded")
	roomy := newFixture(t, tasks.Options{MaxStorageBytesPerUser: 10 << 20, MaxUploadBytes: 1 << 20})
	_, err = roomy.svc.Create(ctx, roomy.bob.ID, p, tasks.Upload{Filename: "huge.png", Body: bytes.NewReader(padded(2 << 20))})
	wantDomainError(t, err, domain.ErrTooLarge, "file_too_large")

	// Deleting frees room.
	if err := f.svc.Delete(ctx, f.alice.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	f.upload(t, f.alice, "again.png", png)
}

// TestStorageQuotaUnderConcurrentUploads: the stored total never passes the
// limit, however the uploads interleave.
func TestStorageQuotaUnderConcurrentUploads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	png := pngBytes(t, 20, 20)
	const fit, uploads = 3, 8
	f := newFixture(t, tasks.Options{MaxStorageBytesPerUser: int64(fit*len(png) + len(png)/2)})
	accepted := f.raceUploads(t, uploads, png)
	used, _ := f.store.StoredBytes(ctx, f.alice.ID)
	if accepted != fit || used != int64(fit*len(png)) {
		t.Errorf("%d accepted, %d bytes stored; want %d, %d", accepted, used, fit, fit*len(png))
	}
	if dirs := f.taskDirs(t); len(dirs) != fit {
		t.Errorf("%d task dirs, want %d", len(dirs), fit)
	}
}
