package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ocrbox/ocrbox/core/domain"
	"github.com/ocrbox/ocrbox/storage/boltstore"
	"github.com/ocrbox/ocrbox/storage/boltstore/boltstoretest"
	"github.com/ocrbox/ocrbox/storage/filestore"
	"github.com/ocrbox/ocrbox/storage/filestore/filestoretest"
)

// fixture is a data directory with two users' tasks and files.
type fixture struct {
	dir   string
	store *boltstore.Store
	files *filestore.Store
	tasks map[string][]byte // "user/task/name" → content
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store := boltstoretest.Open(t, filepath.Join(dir, "ocrbox.db"))
	files := filestoretest.Open(t, filepath.Join(dir, "files"))
	f := &fixture{dir: dir, store: store, files: files, tasks: map[string][]byte{}}
	for _, email := range []string{"a@example.org", "b@example.org"} {
		u, err := store.UpsertUser(ctx, domain.User{Email: email, Name: email, Provider: "local"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			tk := &domain.Task{ID: boltstore.NewID(), UserID: u.ID, Filename: "scan.png", Status: domain.StatusCompleted,
				Engine: "tesseract", Lang: "eng", CreatedAt: time.Now().UTC(), QueuedAt: time.Now().UTC()}
			boltstoretest.CreateTasks(t, store, tk)
			for _, name := range []string{"input.png", "result.txt"} {
				data := bytes.Repeat([]byte(name+tk.ID), 100*(i+1))
				if err := files.MakeTaskDir(ctx, u.ID, tk.ID); err != nil {
					t.Fatal(err)
				}
				if err := files.WriteFileAtomic(ctx, u.ID, tk.ID, name, data); err != nil {
					t.Fatal(err)
				}
				f.tasks[u.ID+"/"+tk.ID+"/"+name] = data
			}
		}
	}
	// A write in flight and the root files.
	_ = os.WriteFile(filepath.Join(dir, "users.json"), []byte(`{"users":[]}`), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "token.key"), []byte("key"), 0o600)
	return f
}

func (f *fixture) backup(t *testing.T) ([]byte, *Manifest) {
	t.Helper()
	var buf bytes.Buffer
	m, err := Write(context.Background(), &buf, Source{DB: f.store, Files: f.files, DataDir: f.dir, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), m
}

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	data, m := f.backup(t)
	if m.Tasks != 6 || m.Files != 12 || len(m.Missing) != 0 || m.SchemaVersion != boltstore.LatestSchema() {
		t.Fatalf("manifest: %+v", m)
	}
	if _, err := Verify(context.Background(), bytes.NewReader(data)); err != nil {
		t.Fatalf("verify: %v", err)
	}
	target := filepath.Join(t.TempDir(), "restored")
	checked := ""
	if _, err := Restore(context.Background(), bytes.NewReader(data), target, func(p string) error { checked = p; return nil }); err != nil {
		t.Fatal(err)
	}
	if filepath.Base(checked) != "ocrbox.db" {
		t.Fatalf("schema check got %q", checked)
	}
	for rel, want := range f.tasks {
		got, err := os.ReadFile(filepath.Join(target, "files", rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %v (%d bytes, want %d)", rel, err, len(got), len(want))
		}
	}
	for _, name := range []string{"users.json", "token.key"} {
		if _, err := os.Stat(filepath.Join(target, name)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := boltstore.Open(context.Background(), filepath.Join(target, "ocrbox.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	if err := st.Snapshot(context.Background(), func(sn *boltstore.Snapshot) error {
		return sn.EachTask(func(string, string) error { n++; return nil })
	}); err != nil || n != 6 {
		t.Fatalf("restored database has %d tasks (%v), want 6", n, err)
	}
	// Never over existing data.
	if _, err := Restore(context.Background(), bytes.NewReader(data), target, nil); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("restore over data: %v, want ErrNotEmpty", err)
	}
}

// rewrite rebuilds an archive with fn applied to each entry.
func rewrite(t *testing.T, data []byte, fn func(h *tar.Header, body []byte) (*tar.Header, []byte)) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		body, _ := io.ReadAll(tr)
		h, body = fn(h, body)
		if h == nil {
			continue
		}
		h.Size = int64(len(body))
		_ = tw.WriteHeader(h)
		_, _ = tw.Write(body)
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}

func TestDamagedArchives(t *testing.T) {
	f := newFixture(t)
	good, _ := f.backup(t)
	tests := []struct {
		name string
		data []byte
	}{
		{"truncated", good[:len(good)/2]},
		{"not gzip", []byte("hello")},
		{"flipped byte in a file", rewrite(t, good, func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if filepath.Base(h.Name) == "result.txt" {
				b = append([]byte(nil), b...)
				b[0] ^= 1
			}
			return h, b
		})},
		{"path traversal", rewrite(t, good, func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if h.Name == "users.json" {
				h.Name = "../../etc/evil"
			}
			return h, b
		})},
		{"file missing", rewrite(t, good, func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if filepath.Base(h.Name) == "input.png" {
				return nil, nil
			}
			return h, b
		})},
		{"no manifest", rewrite(t, good, func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if h.Name == "manifest.json" {
				return nil, nil
			}
			return h, b
		})},
		{"symlink entry", rewrite(t, good, func(h *tar.Header, b []byte) (*tar.Header, []byte) {
			if h.Name == "token.key" {
				h.Typeflag, h.Linkname = tar.TypeSymlink, "/etc/passwd"
				return h, nil
			}
			return h, b
		})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Verify(context.Background(), bytes.NewReader(tc.data)); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("verify: %v, want ErrCorrupt", err)
			}
			parent := t.TempDir()
			target := filepath.Join(parent, "data")
			if _, err := Restore(context.Background(), bytes.NewReader(tc.data), target, nil); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("restore: %v, want ErrCorrupt", err)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Fatalf("a failed restore left %v behind", entries)
			}
		})
	}
}
