package integration

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// paddedPNG is a small, quickly recognised PNG made n bytes long with a
// tEXt chunk after its header, so upload limits can be met without making
// the engine work for long.
func paddedPNG(t testing.TB, n int) []byte {
	t.Helper()
	img := patternPNG(t, 320, 120)
	const ihdrEnd = 8 + 25 // signature + IHDR chunk
	pad := n - len(img) - 12 - len("pad\x00")
	if pad < 0 {
		t.Fatalf("paddedPNG: %d bytes is smaller than the image", n)
	}
	body := append([]byte("pad\x00"), bytes.Repeat([]byte{'x'}, pad)...)
	var chunk bytes.Buffer
	_ = binary.Write(&chunk, binary.BigEndian, uint32(len(body)))
	chunk.WriteString("tEXt")
	chunk.Write(body)
	_ = binary.Write(&chunk, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("tEXt"), body...)))
	out := append([]byte{}, img[:ihdrEnd]...)
	out = append(out, chunk.Bytes()...)
	return append(out, img[ihdrEnd:]...)
}

// TestRefusedUploadLeavesNothing: with max_upload_mb = 2, a request of
// 1 MB + 1 MB + 3 MB files is refused (413) and leaves no task and no task
// directory, although the worker may already be recognising the first
// file when the third is refused. Ten rounds, to meet that moment.
func TestRefusedUploadLeavesNothing(t *testing.T) {
	needDeps(t)
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: t.TempDir(),
		Env: []string{"OCRBOX_SERVER_MAX_UPLOAD_MB=2", "OCRBOX_OCR_WORKERS=2"}})
	c, u := newUser(t, s, "refused", "Refused")
	small := paddedPNG(t, 1<<20)
	big := paddedPNG(t, 3<<20)
	for round := range 10 {
		r := c.uploadRaw(t, nil, upload{Name: "a.png", Data: small}, upload{Name: "b.png", Data: small}, upload{Name: "c.png", Data: big})
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("round %d: status %d, want 413: %s", round, r.Status, truncate(string(r.Body), 300))
		}
	}
	userDir := filepath.Join(s.cfg.DataDir, "files", u.ID)
	deadline := time.Now().Add(20 * time.Second)
	for {
		items, total := c.listTasks(t)
		entries, err := os.ReadDir(userDir)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if total == 0 && len(items) == 0 && len(entries) == 0 {
			break
		}
		if time.Now().After(deadline) {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Fatalf("refused uploads left %d tasks and these task directories: %v", total, names)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Still nothing a moment later, when any page in flight has finished.
	time.Sleep(3 * time.Second)
	if entries, _ := os.ReadDir(userDir); len(entries) != 0 {
		t.Fatalf("a task directory came back after the refused uploads: %d", len(entries))
	}
}
