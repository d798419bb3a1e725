package integration

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// buildBadEngine builds the misbehaving test plugin (test/plugins/badengine)
// and returns its path and SHA-256.
func buildBadEngine(t *testing.T) (string, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "badengine")
	cmd := exec.Command("go", "build", "-o", out, "./test/plugins/badengine")
	cmd.Dir = filepath.Join("..", "..")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build badengine: %v\n%s", err, b)
	}
	return out, fileSHA256(t, out)
}

// TestEngineCrashAndHang: an external engine that crashes or hangs on a
// page is killed and restarted, the page is retried up to ocr.max_attempts,
// then the task fails with a readable error — and other tasks, on the same
// engine and on tesseract, complete meanwhile.
func TestEngineCrashAndHang(t *testing.T) {
	needDeps(t)
	bin, _ := buildBadEngine(t)
	dir := t.TempDir()
	writeEngineConfig(t, dir, "[ocr]\npage_timeout = \"2s\"\nmax_attempts = 2\n", "flaky", bin, 1)
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: dir})
	email, password := "engines-"+randomHex(4)+"@example.org", "pw-"+randomHex(8)
	addUser(t, binPath, dir, email, "Engines", password)
	c := newClient(s).login(t, email, password)

	r := c.get(t, "/engines")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"name":"flaky"`) || !strings.Contains(string(r.Body), `"name":"tesseract"`) {
		t.Fatalf("GET /engines: %d %s", r.Status, r.Body)
	}
	flaky := [][2]string{{"engine", "flaky"}, {"outputs", "txt"}}
	crash := c.upload(t, flaky, upload{Name: "crash.png", Data: patternPNG(t, 101, 40)})[0]
	hang := c.upload(t, flaky, upload{Name: "hang.png", Data: patternPNG(t, 103, 40)})[0]
	fine := c.upload(t, flaky, upload{Name: "fine.png", Data: patternPNG(t, 120, 40)})[0]
	other := c.upload(t, [][2]string{{"outputs", "txt"}}, corpusUpload(t, "pages/phototest.tif"))[0]

	if tk := c.waitStatus(t, other.ID, "completed", 2*time.Minute); tk.Engine != "tesseract" {
		t.Errorf("tesseract task: %+v", tk)
	}
	if tk := c.waitStatus(t, fine.ID, "completed", 2*time.Minute); tk.PagesDone != 1 {
		t.Errorf("a normal page on the flaky engine: %+v", tk)
	}
	for _, tc := range []struct {
		id, what string
	}{{crash.ID, "crash"}, {hang.ID, "hang"}} {
		tk := c.waitStatus(t, tc.id, "failed", 2*time.Minute)
		if !strings.Contains(tk.Error, `OCR engine "flaky" failed on page 1 after 2 attempts`) {
			t.Errorf("%s: error %q, want the engine, page and attempts named", tc.what, tk.Error)
		}
		t.Logf("%s → failed: %s", tc.what, tk.Error)
	}
	// The engine process was replaced each time and still works.
	again := c.upload(t, flaky, upload{Name: "again.png", Data: patternPNG(t, 130, 40)})[0]
	c.waitStatus(t, again.ID, "completed", time.Minute)
	res, err := http.Get(s.baseURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	scrape, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`ocrbox_plugin_restarts_total\{plugin="flaky"\} (\d+)`).FindStringSubmatch(string(scrape))
	if m == nil || m[1] == "0" || m[1] == "1" {
		t.Errorf("flaky restarts %v, want ≥ 2 (a crash and a hang, each retried)", m)
	}
	if !strings.Contains(s.stderr.From(0), "badengine: crashing on purpose") {
		t.Errorf("the plugin's stderr is not in the server log")
	}
}

// TestPluginCheck: the conformance kit passes every built-in engine and
// fails the misbehaving one, with a readable table.
func TestPluginCheck(t *testing.T) {
	needDeps(t)
	ver, err := runCLI(binPath, t.TempDir(), "", "version")
	if err != nil || ver.ExitCode != 0 {
		t.Fatalf("ocrbox version: %v %s", err, ver.Stderr)
	}
	names := regexp.MustCompile(`engine:\s+(\S+)`).FindAllStringSubmatch(ver.Stdout, -1)
	if len(names) == 0 {
		t.Fatalf("no engines in `ocrbox version`: %s", ver.Stdout)
	}
	for _, n := range names {
		res, err := runCLI(binPath, t.TempDir(), "", "plugin", "check", n[1])
		if err != nil || res.ExitCode != 0 || strings.Contains(res.Stdout, "FAIL") || !strings.Contains(res.Stdout, "9 of 9 checks passed") {
			t.Errorf("ocrbox plugin check %s: exit %d\n%s%s", n[1], res.ExitCode, res.Stdout, res.Stderr)
			continue
		}
		t.Logf("ocrbox plugin check %s:\n%s", n[1], res.Stdout)
	}
	bin, sum := buildBadEngine(t)
	res, _ := runCLI(binPath, t.TempDir(), "", "plugin", "check", bin, "--sha256", sum, "--large-mb", "16")
	if res.ExitCode != 1 || !regexp.MustCompile(`recognize page\s+FAIL`).MatchString(res.Stdout) {
		t.Errorf("plugin check of badengine: exit %d, want 1 with recognize page FAIL\n%s%s", res.ExitCode, res.Stdout, res.Stderr)
	}
	wrong := strings.Repeat("0", 64)
	res, _ = runCLI(binPath, t.TempDir(), "", "plugin", "check", bin, "--sha256", wrong)
	if res.ExitCode != 1 || !strings.Contains(res.Stdout, "does not match its pinned sha256") {
		t.Errorf("plugin check with a wrong pin: exit %d\n%s%s", res.ExitCode, res.Stdout, res.Stderr)
	}
}

// TestExternalEngineStartErrors: a [[plugins.engine]] whose file is
// missing or changed stops the server at start with a message naming it.
func TestExternalEngineStartErrors(t *testing.T) {
	needDeps(t)
	bin, sum := buildBadEngine(t)
	for _, tc := range []struct {
		name, path, sum, want string
	}{
		{"missing", bin + "-gone", sum, "no such file"},
		{"changed", bin, strings.Repeat("1", 64), "does not match its pinned sha256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			conf := fmt.Sprintf("[[plugins.engine]]\nname = \"flaky\"\npath = %q\nsha256 = %q\n", tc.path, tc.sum)
			if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := startServer(serverConfig{Bin: binPath, DataDir: dir})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `engine "flaky"`) {
				t.Fatalf("start: %v, want an error naming the engine and %q", err, tc.want)
			}
		})
	}
}
