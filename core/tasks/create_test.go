package tasks_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/core/tasks"
	"github.com/ocrbox/ocrbox/test/testimage"
)

func TestCreateStoresInputAndQueues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, tasks.Options{})
	data := pngBytes(t, 40, 30)
	p, err := f.svc.ParseParams(ctx, "", "eng+deu", "txt,pdf")
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().UTC()
	task, err := f.svc.Create(ctx, f.alice.ID, p, tasks.Upload{Filename: `C:\scans\"Q3".png`, Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}

	if task.Status != domain.StatusPending || task.UserID != f.alice.ID || task.Filename != "Q3.png" ||
		task.Engine != "tesseract" || task.Lang != "eng+deu" || !slices.Equal(task.Outputs, []domain.FileKind{domain.KindTxt, domain.KindPDF}) ||
		task.PagesTotal != 1 || task.InputBytes != int64(len(data)) || task.CreatedAt.Before(before) || !task.QueuedAt.Equal(task.CreatedAt) {
		t.Errorf("task %+v", task)
	}
	in, ok := task.InputFile()
	sum := sha256.Sum256(data)
	if !ok || len(task.Files) != 1 || in.StoredName != "input.png" || in.ContentType != "image/png" || in.Name != "Q3.png" ||
		in.Size != int64(len(data)) || in.SHA256 != hex.EncodeToString(sum[:]) || in.ID == "" {
		t.Errorf("input file %+v", in)
	}

	stored, err := f.svc.Get(ctx, f.alice.ID, task.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != domain.StatusPending || stored.Filename != task.Filename || len(stored.Files) != 1 {
		t.Errorf("stored task %+v", stored)
	}
	fh, err := f.files.Open(ctx, f.alice.ID, task.ID, in.StoredName)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(fh)
	fh.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("stored input differs from the upload (%d vs %d bytes)", len(got), len(data))
	}
	if kicks, _ := f.runner.state(); kicks != 1 {
		t.Errorf("worker kicked %d times, want 1", kicks)
	}
}

// Every kind of refused upload leaves nothing behind: no task record, no
// directory, and the worker is not woken.
func TestCreateRefusalsLeaveNothingBehind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	png := pngBytes(t, 40, 30)
	tests := []struct {
		name    string
		opts    tasks.Options
		user    string // "" = alice
		body    io.Reader
		kind    error
		code    string
		message string
	}{
		{"empty file", tasks.Options{}, "", bytes.NewReader(nil), domain.ErrInvalid, "empty_file", "is empty"},
		{"not an image", tasks.Options{}, "", strings.NewReader("hello, I am a text file\n"), domain.ErrUnsupportedType, "unsupported_type", "not supported"},
		{"larger than the upload limit", tasks.Options{MaxUploadBytes: 1000}, "", bytes.NewReader(append(png, make([]byte, 1000)...)),
			domain.ErrTooLarge, "file_too_large", "larger than the upload limit"},
		{"one byte over the limit", tasks.Options{MaxUploadBytes: int64(len(png)) - 1}, "", bytes.NewReader(png),
			domain.ErrTooLarge, "file_too_large", ""},
		{"too many pages", tasks.Options{}, "", bytes.NewReader(testimage.GrayTIFF(limits.MaxPages + 1)), domain.ErrTooLarge, "too_many_pages", "pages"},
		{"upload interrupted", tasks.Options{}, "", &errReader{data: append(png, make([]byte, 8000)...), err: errors.New("connection reset")},
			domain.ErrInvalid, "upload_failed", "upload interrupted"},
		{"interrupted within the first bytes", tasks.Options{}, "", &errReader{data: png[:100], err: errors.New("connection reset")},
			domain.ErrInvalid, "upload_failed", "reading upload"},
		{"unknown user", tasks.Options{}, "01900000-0000-7000-8000-000000000000", bytes.NewReader(png), domain.ErrNotFound, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.opts)
			user := f.alice.ID
			if tt.user != "" {
				user = tt.user
			}
			p, err := f.svc.ParseParams(ctx, "", "", "")
			if err != nil {
				t.Fatal(err)
			}
			task, err := f.svc.Create(ctx, user, p, tasks.Upload{Filename: "up.png", Body: tt.body})
			if err == nil {
				t.Fatalf("accepted: %+v", task)
			}
			if tt.code != "" {
				de := wantDomainError(t, err, tt.kind, tt.code)
				if !strings.Contains(de.Message, tt.message) {
					t.Errorf("message %q lacks %q", de.Message, tt.message)
				}
			} else if !errors.Is(err, tt.kind) {
				t.Errorf("err = %v, want %v", err, tt.kind)
			}
			f.wantNothingLeft(t)
			if kicks, _ := f.runner.state(); kicks != 0 {
				t.Errorf("refused upload kicked the worker %d times", kicks)
			}
		})
	}
}

func TestCreateAcceptsUploadAtTheLimit(t *testing.T) {
	t.Parallel()
	png := pngBytes(t, 40, 30)
	f := newFixture(t, tasks.Options{MaxUploadBytes: int64(len(png))})
	task := f.upload(t, f.alice, "exact.png", png)
	if task.InputBytes != int64(len(png)) {
		t.Fatalf("input bytes %d, want %d", task.InputBytes, len(png))
	}
}

// A file the decoder cannot read is accepted: the worker fails the task
// with the reason, where the user sees it.
func TestCreateAcceptsUnreadableInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, tasks.Options{})
	png := pngBytes(t, 40, 30)
	task := f.upload(t, f.alice, "broken.png", png[:20])
	if task.Status != domain.StatusPending || task.PagesTotal != 0 {
		t.Fatalf("task %+v", task)
	}
	if dirs := f.taskDirs(t); len(dirs) != 1 {
		t.Fatalf("task dirs %v", dirs)
	}
}

// pages.Sniff documents that a PDF header may follow up to SniffLen (1 KiB)
// of junk, which PDF readers tolerate; the service must give the sniffer
// that much of the upload.
func TestCreateSniffsPDFAfterLeadingJunk(t *testing.T) {
	t.Parallel()
	f := newFixture(t, tasks.Options{})
	pdf := append(bytes.Repeat([]byte{'\n'}, 600), "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"...)
	p, err := f.svc.ParseParams(context.Background(), "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	task, err := f.svc.Create(context.Background(), f.alice.ID, p, tasks.Upload{Filename: "junk.pdf", Body: bytes.NewReader(pdf)})
	if err != nil {
		t.Fatalf("a PDF whose header starts at byte 600 was refused: %v", err)
	}
	if in, _ := task.InputFile(); in.ContentType != "application/pdf" {
		t.Fatalf("content type %q", in.ContentType)
	}
}

func TestCreateQuota(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, tasks.Options{MaxTasksPerUser: 2})
	png := pngBytes(t, 20, 20)
	first := f.upload(t, f.alice, "1.png", png)
	f.upload(t, f.alice, "2.png", png)

	p, _ := f.svc.ParseParams(ctx, "", "", "")
	_, err := f.svc.Create(ctx, f.alice.ID, p, tasks.Upload{Filename: "3.png", Body: bytes.NewReader(png)})
	de := wantDomainError(t, err, domain.ErrQuota, "quota_exceeded")
	if !strings.Contains(de.Message, "at most 2") {
		t.Errorf("message %q", de.Message)
	}
	if err := f.svc.CheckQuota(ctx, f.alice.ID, 1); !errors.Is(err, domain.ErrQuota) {
		t.Errorf("CheckQuota = %v", err)
	}
	if dirs := f.taskDirs(t); len(dirs) != 2 {
		t.Errorf("task dirs %v, want alice's two", dirs)
	}

	// The quota is per user, and deleting a task frees a place.
	f.upload(t, f.bob, "b.png", png)
	if err := f.svc.CheckQuota(ctx, f.bob.ID, 2); !errors.Is(err, domain.ErrQuota) {
		t.Errorf("bob adding 2 to 1 of 2: %v", err)
	}
	if err := f.svc.Delete(ctx, f.alice.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	f.upload(t, f.alice, "3.png", png)
}

func TestCreateUnlimitedQuota(t *testing.T) {
	t.Parallel()
	f := newFixture(t, tasks.Options{MaxTasksPerUser: 0})
	png := pngBytes(t, 20, 20)
	for range 5 {
		f.upload(t, f.alice, "x.png", png)
	}
	if err := f.svc.CheckQuota(context.Background(), f.alice.ID, 1000); err != nil {
		t.Fatal(err)
	}
}

// The quota holds under concurrent uploads too: the check and the insert
// must not be separated by the time it takes to store the upload.
func TestCreateQuotaUnderConcurrentUploads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const quota, uploads = 2, 6
	f := newFixture(t, tasks.Options{MaxTasksPerUser: quota})
	png := pngBytes(t, 20, 20)
	accepted := f.raceUploads(t, uploads, png)
	n, _ := f.store.CountTasks(ctx, f.alice.ID)
	if accepted != quota || n != quota {
		t.Errorf("%d concurrent uploads against a quota of %d: %d accepted, user has %d tasks", uploads, quota, accepted, n)
	}
}
