package integration

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/ocrbox/ocrbox/plugins/sdk/proto/ocrboxv1"
	"github.com/ocrbox/ocrbox/test/testenv"
)

// pythonPluginDir is the example engine plugin written in Python.
var pythonPluginDir = filepath.Join("..", "..", "plugins", "examples", "python-engine")

// pythonDebPackages are what the Python plugin needs from Debian
// (scripts/install-deps installs them).
const pythonDebPackages = "python3-grpcio python3-protobuf"

// needPython skips (outside CI) or fails (CI=true) when Debian's python3
// or its gRPC and protobuf modules are missing, and returns the plugin's
// absolute path and SHA-256.
func needPython(t *testing.T) (string, string) {
	t.Helper()
	needDeps(t)
	out, err := exec.Command("/usr/bin/python3", "-I", "-c", "import grpc, google.protobuf").CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("the Python engine plugin needs /usr/bin/python3 with Debian's %s (scripts/install-deps): %v %s",
			pythonDebPackages, err, bytes.TrimSpace(out))
		testenv.RequireOrSkip(t, "%s", msg)
	}
	path, err := filepath.Abs(filepath.Join(pythonPluginDir, "plugin.py"))
	if err != nil {
		t.Fatal(err)
	}
	return path, fileSHA256(t, path)
}

// TestPythonPluginProtoInSync: the committed ocrbox_pb2.py describes the
// same contract as plugins/sdk/proto/ocrbox.proto (through the Go code
// generated from it, and through protoc when it is installed), and
// ocrbox_pb2_grpc.py routes every OCREngine method. Run
// plugins/examples/python-engine/gen.sh when this fails.
func TestPythonPluginProtoInSync(t *testing.T) {
	needPython(t)
	dir, err := filepath.Abs(pythonPluginDir)
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("import sys; sys.path.insert(0, %q); import ocrbox_pb2; sys.stdout.buffer.write(ocrbox_pb2.DESCRIPTOR.serialized_pb)", dir)
	cmd := exec.Command("/usr/bin/python3", "-I", "-B", "-c", script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("load ocrbox_pb2.py: %v\n%s", err, stderr.String())
	}
	py := &descriptorpb.FileDescriptorProto{}
	if err := proto.Unmarshal(raw, py); err != nil {
		t.Fatalf("ocrbox_pb2.py's descriptor: %v", err)
	}
	goDesc := protodesc.ToFileDescriptorProto(ocrboxv1.File_ocrbox_proto)
	if !proto.Equal(normDescriptor(py), normDescriptor(goDesc)) {
		t.Errorf("ocrbox_pb2.py does not match the Go code generated from ocrbox.proto: run plugins/examples/python-engine/gen.sh")
	}
	if _, err := exec.LookPath("protoc"); err == nil {
		set := filepath.Join(t.TempDir(), "set.pb")
		protoDir := filepath.Join("..", "..", "plugins", "sdk", "proto")
		if out, err := exec.Command("protoc", "-I", protoDir, "--descriptor_set_out="+set, filepath.Join(protoDir, "ocrbox.proto")).CombinedOutput(); err != nil {
			t.Fatalf("protoc: %v\n%s", err, out)
		}
		var fds descriptorpb.FileDescriptorSet
		if b, err := os.ReadFile(set); err != nil || proto.Unmarshal(b, &fds) != nil || len(fds.File) != 1 {
			t.Fatalf("read protoc's descriptor set: %v", err)
		}
		if !proto.Equal(normDescriptor(py), normDescriptor(fds.File[0])) {
			t.Errorf("ocrbox_pb2.py does not match the current ocrbox.proto: run plugins/examples/python-engine/gen.sh")
		}
	} else {
		t.Log("protoc not installed: compared with the Go descriptor only")
	}
	stubs, err := os.ReadFile(filepath.Join(pythonPluginDir, "ocrbox_pb2_grpc.py"))
	if err != nil {
		t.Fatal(err)
	}
	svc := ocrboxv1.File_ocrbox_proto.Services().ByName("OCREngine")
	for i := range svc.Methods().Len() {
		route := fmt.Sprintf("'/%s/%s'", svc.FullName(), svc.Methods().Get(i).Name())
		if !bytes.Contains(stubs, []byte(route)) {
			t.Errorf("ocrbox_pb2_grpc.py has no route %s: run plugins/examples/python-engine/gen.sh", route)
		}
	}
}

// normDescriptor drops what generators fill in differently (JSON names,
// source locations) so two descriptors of one .proto compare equal.
func normDescriptor(fd *descriptorpb.FileDescriptorProto) *descriptorpb.FileDescriptorProto {
	fd = proto.Clone(fd).(*descriptorpb.FileDescriptorProto)
	fd.SourceCodeInfo = nil
	var clear func(msgs []*descriptorpb.DescriptorProto)
	clear = func(msgs []*descriptorpb.DescriptorProto) {
		for _, m := range msgs {
			for _, f := range m.Field {
				f.JsonName = nil
			}
			clear(m.NestedType)
		}
	}
	clear(fd.MessageType)
	return fd
}

// TestPythonPluginCheck: the conformance kit passes the Python plugin.
func TestPythonPluginCheck(t *testing.T) {
	path, sum := needPython(t)
	res, err := runCLI(binPath, t.TempDir(), "", "plugin", "check", path, "--sha256", sum)
	if err != nil || res.ExitCode != 0 || strings.Contains(res.Stdout, "FAIL") || !strings.Contains(res.Stdout, "9 of 9 checks passed") {
		t.Fatalf("ocrbox plugin check %s: %v, exit %d\n%s%s", path, err, res.ExitCode, res.Stdout, res.Stderr)
	}
	t.Logf("ocrbox plugin check %s:\n%s", path, res.Stdout)

	// Started by hand, the plugin says what it is instead of serving.
	out, err := exec.Command(path).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "ocrbox plugin check") {
		t.Errorf("plugin.py run by hand: %v %q, want a non-zero exit and a hint", err, out)
	}
}

// TestPythonPluginServer: a server with the Python plugin as
// [[plugins.engine]] "pytess" lists it, OCRs a corpus page with it about
// as well as the built-in engine, fails a corrupt page with a readable
// error, logs the plugin's stderr under its name, and times both engines.
func TestPythonPluginServer(t *testing.T) {
	path, _ := needPython(t)
	dir := t.TempDir()
	writeEngineConfig(t, dir, "", "pytess", path, 1)
	s := startTestServer(t, serverConfig{Bin: binPath, DataDir: dir})
	email, password := "pytess-"+randomHex(4)+"@example.org", "pw-"+randomHex(8)
	addUser(t, binPath, dir, email, "Py", password)
	c := newClient(s).login(t, email, password)

	r := c.get(t, "/engines")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"name":"pytess"`) {
		t.Fatalf("GET /engines: %d %s", r.Status, r.Body)
	}
	pytess := [][2]string{{"engine", "pytess"}, {"lang", "eng"}, {"outputs", "txt,hocr,json"}}

	t.Run("phototest", func(t *testing.T) {
		tk := c.upload(t, pytess, corpusUpload(t, "pages/phototest.tif"))[0]
		done := c.waitStatus(t, tk.ID, "completed", 2*time.Minute)
		if done.Engine != "pytess" || done.PagesDone != 1 {
			t.Errorf("task %+v, want engine pytess and 1 page done", done)
		}
		text := string(c.downloadKind(t, done, "txt"))
		got := cer(string(corpus(t, "pages/phototest.txt")), text)
		// Measured: 0.0 % (tesseract 5.3.0, eng); the built-in engine reads
		// this page as well.
		if got > 0.02 {
			t.Errorf("phototest.tif CER %.2f %%, want ≤ 2 %%; text %q", 100*got, truncate(text, 300))
		}
		hocr := string(c.downloadKind(t, done, "hocr"))
		if !strings.Contains(hocr, "ocrx_word") || !strings.Contains(hocr, "quick") {
			t.Errorf("hOCR built from the plugin's words lacks ocrx_word/quick: %s", truncate(hocr, 300))
		}
		js := string(c.downloadKind(t, done, "json"))
		if !strings.Contains(js, `"bbox"`) || !strings.Contains(js, `"quick"`) {
			t.Errorf("JSON lacks words with boxes: %s", truncate(js, 300))
		}
		t.Logf("phototest.tif on pytess: CER %.2f %%", 100*got)
	})

	// The host decodes every page before an engine sees it, so a corrupt
	// upload fails there; the plugin's own bad-image answer (gRPC
	// InvalidArgument) is what `ocrbox plugin check` exercises.
	t.Run("corrupt page", func(t *testing.T) {
		full := patternPNG(t, 1200, 800)
		ups := []upload{
			{Name: "truncated.png", Data: full[:len(full)*6/10]},
			{Name: "junk.png", Data: bytes.Repeat([]byte("\x89PNG\r\n\x1a\n not really an image "), 500)},
		}
		for _, up := range ups {
			r := c.uploadRaw(t, pytess, up)
			if r.Status != http.StatusAccepted {
				if r.Status < 400 || r.Status >= 500 {
					t.Errorf("%s: upload status %d: %s", up.Name, r.Status, r.Body)
				}
				t.Logf("%s refused at upload: %d %s", up.Name, r.Status, truncate(string(r.Body), 200))
				continue
			}
			var v struct {
				Tasks []task `json:"tasks"`
			}
			r.JSON(t, &v)
			got := c.waitTerminal(t, v.Tasks[0].ID, 2*time.Minute)
			if got.Status != "failed" {
				t.Errorf("%s: ended %s, want failed", up.Name, got.Status)
				continue
			}
			checkReadableError(t, got, dir)
			t.Logf("%s failed: %q", up.Name, got.Error)
		}
		// The plugin survived: the next page works.
		tk := c.upload(t, pytess, corpusUpload(t, "pages/phototest.tif"))[0]
		c.waitStatus(t, tk.ID, "completed", 2*time.Minute)
	})

	t.Run("throughput", func(t *testing.T) {
		pages := []string{"phototest.tif", "eurotext.tif", "8071_093.3B.tif", "8087_054.3B.tif"}
		var table strings.Builder
		fmt.Fprintf(&table, "%-18s %12s %12s %10s %10s\n", "page", "pytess", "tesseract", "CER py", "CER built")
		var total [2]time.Duration
		for _, p := range pages {
			truth := string(corpus(t, "pages/"+strings.TrimSuffix(p, ".tif")+".txt"))
			var took [2]time.Duration
			var cers [2]float64
			for i, engine := range []string{"pytess", "tesseract"} {
				tk := c.upload(t, [][2]string{{"engine", engine}, {"lang", "eng"}, {"outputs", "txt"}}, corpusUpload(t, "pages/"+p))[0]
				done := c.waitStatus(t, tk.ID, "completed", 3*time.Minute)
				took[i] = time.Duration(done.DurationMS) * time.Millisecond
				total[i] += took[i]
				cers[i] = cer(truth, string(c.downloadKind(t, done, "txt")))
			}
			fmt.Fprintf(&table, "%-18s %12s %12s %9.2f%% %9.2f%%\n", p, took[0], took[1], 100*cers[0], 100*cers[1])
			if cers[0] > cers[1]+0.01 {
				t.Errorf("%s: pytess CER %.2f %% is worse than the built-in engine's %.2f %% by more than 1 point", p, 100*cers[0], 100*cers[1])
			}
		}
		rate := func(d time.Duration) float64 { return float64(len(pages)) / d.Seconds() }
		fmt.Fprintf(&table, "%-18s %12s %12s\n%-18s %12.2f %12.2f\n", "total", total[0], total[1], "pages/s", rate(total[0]), rate(total[1]))
		t.Logf("one page at a time, task duration:\n%s", table.String())
	})

	log := s.stderr.From(0)
	if !strings.Contains(log, `"plugin":"pytess"`) || !strings.Contains(log, "pytess plugin serving") {
		t.Errorf("the plugin's stderr is not in the server log tagged plugin=pytess")
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "pytess plugin serving") {
			if !strings.Contains(line, `"plugin":"pytess"`) {
				t.Errorf("plugin log line without plugin=pytess: %s", line)
			}
			t.Logf("the plugin's stderr in the server log: %s", line)
			break
		}
	}
}
