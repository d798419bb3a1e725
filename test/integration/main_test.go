package integration

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ocrbox/ocrbox/test/testenv"
)

var (
	// binPath is the ocrbox binary built once for the whole package.
	binPath string
	// corpusDir is the OCR corpus (pages/, multipage/).
	corpusDir string
	// workDir holds the binary and the shared server's data directory.
	workDir string
	// skipReason is set when a dependency is missing outside CI.
	skipReason string

	sharedOnce sync.Once
	shared     *server
	sharedErr  error
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		// Every test here starts the real binary: the quick loop
		// (scripts/test --short) leaves the package out.
		fmt.Println("integration: left out by -short")
		return 0
	}
	ci := testenv.CI()
	var err error
	corpusDir, _ = testenv.CorpusDir() // missing: reported by missingDeps
	if missing := missingDeps(); len(missing) > 0 {
		msg := "integration tests need: " + strings.Join(missing, "; ") +
			" (install them with scripts/install-deps; the corpus lives in ../shared/testdata/ocr beside the checkout)"
		if ci {
			fmt.Fprintln(os.Stderr, "FAIL: CI=true and", msg)
			return 1
		}
		skipReason = msg
		return m.Run()
	}

	workDir, err = os.MkdirTemp("", "ocrbox-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(workDir)
	binPath = filepath.Join(workDir, "ocrbox")
	if bin := os.Getenv("OCRBOX_TEST_BIN"); bin != "" {
		// A binary built elsewhere: the release build, or an older version
		// to show that a test fails without its fix.
		if binPath, err = filepath.Abs(bin); err != nil {
			fmt.Fprintln(os.Stderr, "integration:", err)
			return 1
		}
	} else {
		build := exec.Command("go", "build", "-o", binPath, ".")
		build.Dir = filepath.Join("..", "..")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: go build of ocrbox: %v\n%s\n", err, out)
			return 1
		}
	}

	code := m.Run()
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: shared server: %v\n--- shared server output (tail) ---\n%s\n",
				err, tail(shared.stderr.From(0), 64<<10))
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// missingDeps lists what the tests need but cannot find.
func missingDeps() []string {
	var missing []string
	if st, err := os.Stat(filepath.Join(corpusDir, "pages", "phototest.tif")); err != nil || !st.Mode().IsRegular() {
		missing = append(missing, "the OCR corpus at "+corpusDir)
	}
	for _, tool := range []string{"tesseract", "pdftotext", "pdfinfo", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool+" in PATH")
		}
	}
	if _, err := exec.LookPath("tesseract"); err == nil {
		out, err := exec.Command("tesseract", "--list-langs").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "\neng") {
			missing = append(missing, "tesseract's eng language data (tesseract-ocr-eng)")
		}
	}
	return missing
}

// needDeps skips (outside CI) when a dependency is missing; TestMain
// already failed the run under CI=true.
func needDeps(t testing.TB) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}

// sharedServer returns the server shared by the tests that need no special
// limits, starting it on first use. Its output during the test is printed
// if the test fails.
func sharedServer(t testing.TB) *server {
	t.Helper()
	needDeps(t)
	sharedOnce.Do(func() {
		shared, sharedErr = startServer(serverConfig{Bin: binPath, DataDir: filepath.Join(workDir, "shared-data")})
	})
	if sharedErr != nil {
		t.Fatalf("start shared server: %v", sharedErr)
	}
	if shared.exited() {
		t.Fatalf("the shared server has exited: %v\n%s", shared.waitErr, tail(shared.stderr.From(0), 64<<10))
	}
	attachLog(t, shared)
	return shared
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUser adds an account with a unique email on s's data directory and
// signs it in.
func newUser(t testing.TB, s *server, prefix, name string) (*client, user) {
	t.Helper()
	email := fmt.Sprintf("%s-%s@example.org", prefix, randomHex(4))
	password := "pw-" + randomHex(8)
	addUser(t, binPath, s.cfg.DataDir, email, name, password)
	c := newClient(s).login(t, email, password)
	return c, c.me(t)
}

// corpus reads a file of the OCR corpus.
func corpus(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, rel))
	if err != nil {
		t.Fatalf("read corpus file: %v", err)
	}
	return data
}

// corpusUpload is an upload of a corpus file under its base name.
func corpusUpload(t testing.TB, rel string) upload {
	t.Helper()
	return upload{Name: filepath.Base(rel), Data: corpus(t, rel)}
}
