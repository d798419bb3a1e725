package worker_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/core/pagehelper"
	"github.com/ocrbox/ocrbox/plugins/sdk"
	"github.com/ocrbox/ocrbox/plugins/tesseract"
)

// TestMain serves a plugin when the host re-executes this test binary as
// `<test binary> plugin NAME`, exactly as ocrbox serves its built-ins: the
// real tesseract engine, and test engines that misbehave on purpose. As
// `<test binary> pagehelper …` it is the page helper, which misbehaves when
// the harness asks (helperFault).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == pagehelper.Subcommand {
		os.Exit(runPageHelper(os.Args[2:]))
	}
	if len(os.Args) == 3 && os.Args[1] == "plugin" {
		switch name := os.Args[2]; name {
		case "tesseract":
			sdk.ServeEngine(tesseract.New(nil))
		case "crashonce", "crashalways", "hang", "slow", "flaky":
			sdk.ServeEngine(&testEngine{mode: name, sem: make(chan struct{}, 1)})
		default:
			fmt.Fprintf(os.Stderr, "unknown test plugin %q\n", name)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// hangMarker makes the hang engine block for an hour on any image whose
// bytes contain it (pngWithMarker puts it in a tEXt chunk).
const hangMarker = "OCRBOX-TEST-HANG"

// slowPage is how long the slow engine takes per page.
const slowPage = 300 * time.Millisecond

// testEngine is an OCR engine served from this binary in its own process.
// It leaves a marker file in the directory given by its "dir" setting for
// every Recognize call, so the test (another process) can count the calls
// per page, and misbehaves according to mode:
//
//	crashonce    the process exits on the first call for each page image
//	crashalways  the process exits on every call
//	hang         sleeps an hour, ignoring ctx, on images holding hangMarker;
//	             like tesseract it does one page at a time, so a hung page
//	             blocks every later call to its process
//	slow         takes slowPage per page, honouring ctx
//	flaky        reports an unreadable image for page N while dir/fail-page-N exists
type testEngine struct {
	mode string
	dir  string
	sem  chan struct{} // the one page in progress, in hang mode
}

func (e *testEngine) Configure(_ context.Context, s map[string]string) error {
	if s["dir"] == "" {
		return errors.New("test engine: setting dir is required")
	}
	e.dir = s["dir"]
	return nil
}

func (e *testEngine) Info(context.Context) (*sdk.EngineInfo, error) {
	return &sdk.EngineInfo{Name: e.mode, Version: "test", Languages: []string{"eng"},
		Outputs: []string{"txt", "hocr", "json"}}, nil
}

func (e *testEngine) Recognize(ctx context.Context, r *sdk.RecognizeRequest) (*sdk.RecognizeResponse, error) {
	page := int(r.GetPageNumber())
	name := fmt.Sprintf("call-p%d-pid%d-t%d-%s-*", page, os.Getpid(), time.Now().UnixNano(), imageID(r.GetImage()))
	f, err := os.CreateTemp(e.dir, name)
	if err != nil {
		return nil, err
	}
	f.Close()
	switch e.mode {
	case "crashonce":
		marker := filepath.Join(e.dir, fmt.Sprintf("crashed-p%d-%s", page, imageID(r.GetImage())))
		if f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
			f.Close()
			os.Exit(3)
		}
	case "crashalways":
		os.Exit(3)
	case "hang":
		select {
		case e.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if bytes.Contains(r.GetImage(), []byte(hangMarker)) {
			time.Sleep(time.Hour)
		}
		<-e.sem
	case "slow":
		select {
		case <-time.After(slowPage):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	case "flaky":
		if _, err := os.Stat(filepath.Join(e.dir, fmt.Sprintf("fail-page-%d", page))); err == nil {
			return nil, fmt.Errorf("test engine refuses page %d: %w", page, sdk.ErrBadImage)
		}
	}
	return &sdk.RecognizeResponse{
		Text:  "ok",
		Words: []*sdk.Word{{Text: "ok", X0: 1, Y0: 1, X1: 20, Y1: 10, Confidence: 99, Block: 1, Paragraph: 1, Line: 1}},
		Width: 100, Height: 50, MeanConfidence: 99,
		Hocr: fmt.Sprintf("<div class='ocr_page' id='page_%d'>ok</div>", page),
	}, nil
}

// imageID names a page image in marker files.
func imageID(img []byte) string {
	sum := sha256.Sum256(img)
	return hex.EncodeToString(sum[:6])
}

// engineCall is one Recognize call a test engine recorded.
type engineCall struct {
	page, pid int
	at        int64  // unix nanoseconds
	image     string // imageID of the page image
}

// engineCallLog reads the calls the test engines recorded in dir, oldest
// first.
func engineCallLog(t *testing.T, dir string) []engineCall {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "call-p*"))
	if err != nil {
		t.Fatal(err)
	}
	var calls []engineCall
	for _, n := range names {
		var c engineCall
		base := filepath.Base(n)
		if _, err := fmt.Sscanf(base, "call-p%d-pid%d-t%d-", &c.page, &c.pid, &c.at); err != nil {
			t.Fatalf("marker %s: %v", n, err)
		}
		c.image = strings.Split(base, "-")[4]
		calls = append(calls, c)
	}
	slices.SortFunc(calls, func(a, b engineCall) int { return cmp.Compare(a.at, b.at) })
	return calls
}

// engineCalls counts the recorded calls by page number.
func engineCalls(t *testing.T, dir string) map[int]int {
	t.Helper()
	calls := map[int]int{}
	for _, c := range engineCallLog(t, dir) {
		calls[c.page]++
	}
	return calls
}

// enginePIDs lists the engine process of each call made for a page image.
func enginePIDs(t *testing.T, dir string, img []byte) []int {
	t.Helper()
	var pids []int
	for _, c := range engineCallLog(t, dir) {
		if c.image == imageID(img) {
			pids = append(pids, c.pid)
		}
	}
	return pids
}

func totalCalls(calls map[int]int) int {
	n := 0
	for _, c := range calls {
		n += c
	}
	return n
}

// touch creates an empty file in dir.
func touch(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// removeFile deletes a file in dir.
func removeFile(dir, name string) error { return os.Remove(filepath.Join(dir, name)) }
