package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestShippedConfigLoads(t *testing.T) {
	c, err := Load("../../config.toml", nil, nil)
	if err != nil {
		t.Fatalf("shipped config.toml: %v", err)
	}
	if c.Server.Listen != "127.0.0.1:8080" || c.Storage.DataDir != "./data" {
		t.Fatalf("unexpected defaults: %+v %+v", c.Server, c.Storage)
	}
	if c.OCR.PageTimeout != 2*time.Minute || len(c.OCR.DefaultOutputs) != 4 {
		t.Fatalf("ocr section: %+v", c.OCR)
	}
	if c.Plugins["tesseract"]["psm"] != "3" {
		t.Fatalf("plugin table not loaded: %v", c.Plugins)
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.toml")
	if err := os.WriteFile(path, []byte("[server]\nlisten = \"127.0.0.1:9000\"\n[ocr]\nworkers = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      []string
		over     map[string]any
		listen   string
		workers  int
		dataDir  string
		outputs  int
		maxTasks int
	}{
		{"file", nil, nil, "127.0.0.1:9000", 3, "./data", 4, 0},
		{"env beats file", []string{"OCRBOX_SERVER_LISTEN=127.0.0.1:9100", "OCRBOX_STORAGE_DATA_DIR=/tmp/x"}, nil, "127.0.0.1:9100", 3, "/tmp/x", 4, 0},
		{"flag beats env", []string{"OCRBOX_SERVER_LISTEN=127.0.0.1:9100"}, map[string]any{"server.listen": "127.0.0.1:9200"}, "127.0.0.1:9200", 3, "./data", 4, 0},
		{"list from env", []string{"OCRBOX_OCR_DEFAULT_OUTPUTS=txt, pdf"}, nil, "127.0.0.1:9000", 3, "./data", 2, 0},
		{"legacy name", []string{"MAX_TASKS_PER_USER=7"}, nil, "127.0.0.1:9000", 3, "./data", 4, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(path, tt.env, tt.over)
			if err != nil {
				t.Fatal(err)
			}
			if c.Server.Listen != tt.listen || c.OCR.Workers != tt.workers || c.Storage.DataDir != tt.dataDir ||
				len(c.OCR.DefaultOutputs) != tt.outputs || c.Limits.MaxTasksPerUser != tt.maxTasks {
				t.Fatalf("got listen=%s workers=%d data=%s outputs=%v max=%d", c.Server.Listen, c.OCR.Workers,
					c.Storage.DataDir, c.OCR.DefaultOutputs, c.Limits.MaxTasksPerUser)
			}
		})
	}
}

func TestInvalidValuesNameTheKey(t *testing.T) {
	tests := []struct {
		env []string
		key string
	}{
		{[]string{"OCRBOX_SERVER_LISTEN=nonsense"}, "server.listen"},
		{[]string{"OCRBOX_OCR_WORKERS=-1"}, "ocr.workers"},
		{[]string{"OCRBOX_OCR_WORKERS=abc"}, "ocr.workers"},
		{[]string{"OCRBOX_OCR_DEFAULT_OUTPUTS=txt,docx"}, "ocr.default_outputs"},
		{[]string{"OCRBOX_LOG_LEVEL=loud"}, "log.level"},
		{[]string{"OCRBOX_OCR_PAGE_TIMEOUT=soon"}, "ocr.page_timeout"},
		{[]string{"OCRBOX_LIMITS_MAX_PAGES=0"}, "limits.max_pages"},
		{[]string{"OCRBOX_NO_SUCH_KEY=1"}, "OCRBOX_NO_SUCH_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, err := Load("", tt.env, nil)
			if err == nil {
				t.Fatal("expected an error")
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("error %q does not name %s", err, tt.key)
			}
		})
	}
	var ke *KeyError
	_, err := Load("", []string{"OCRBOX_OCR_WORKERS=-1"}, nil)
	if !errors.As(err, &ke) || ke.Key != "ocr.workers" {
		t.Fatalf("want KeyError for ocr.workers, got %v", err)
	}
}

func TestMissingExplicitFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.toml"), nil, nil); err == nil {
		t.Fatal("a missing --config file must be an error")
	}
}

// TestRetentionAndStorageKeys: the retention and storage-quota keys come
// from the file, OCRBOX_LIMITS_* or the legacy TASK_RETENTION_DAYS, and
// negative values are refused naming the key.
func TestRetentionAndStorageKeys(t *testing.T) {
	tests := []struct {
		env       []string
		days      int
		storageMB int64
	}{
		{nil, 0, 0},
		{[]string{"TASK_RETENTION_DAYS=30"}, 30, 0},
		{[]string{"OCRBOX_LIMITS_TASK_RETENTION_DAYS=7", "OCRBOX_LIMITS_MAX_STORAGE_MB_PER_USER=250"}, 7, 250},
	}
	for _, tt := range tests {
		c, err := Load("", tt.env, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Limits.TaskRetentionDays != tt.days || c.Limits.MaxStorageMBPerUser != tt.storageMB {
			t.Errorf("%v: days %d, storage %d MB", tt.env, c.Limits.TaskRetentionDays, c.Limits.MaxStorageMBPerUser)
		}
	}
	for env, key := range map[string]string{
		"TASK_RETENTION_DAYS=-1":                     "limits.task_retention_days",
		"OCRBOX_LIMITS_MAX_STORAGE_MB_PER_USER=-5":   "limits.max_storage_mb_per_user",
		"OCRBOX_LIMITS_MAX_STORAGE_MB_PER_USER=lots": "limits.max_storage_mb_per_user",
	} {
		if _, err := Load("", []string{env}, nil); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: err %v does not name %s", env, err, key)
		}
	}
}

// TestHistoryFlag: history.enabled defaults to on and is switched by the
// file ([history] or the older [auth] enable_task_history), by
// OCRBOX_HISTORY_ENABLED and by the legacy ENABLE_TASK_HISTORY.
func TestHistoryFlag(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newKey := write("new.toml", "[history]\nenabled = false\n")
	oldKey := write("old.toml", "[auth]\nenable_task_history = false\n")
	tests := []struct {
		name string
		file string
		env  []string
		want bool
	}{
		{"default", "", nil, true},
		{"file", newKey, nil, false},
		{"older key", oldKey, nil, false},
		{"env", "", []string{"OCRBOX_HISTORY_ENABLED=false"}, false},
		{"legacy env", "", []string{"ENABLE_TASK_HISTORY=false"}, false},
		{"legacy env beats file", newKey, []string{"ENABLE_TASK_HISTORY=true"}, true},
	}
	for _, tt := range tests {
		c, err := Load(tt.file, tt.env, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if c.History.Enabled != tt.want {
			t.Errorf("%s: history.enabled = %v, want %v", tt.name, c.History.Enabled, tt.want)
		}
	}
	if _, err := Load("", []string{"ENABLE_TASK_HISTORY=maybe"}, nil); err == nil {
		t.Error("a non-boolean ENABLE_TASK_HISTORY must be refused")
	}
}

func TestExternalEngines(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	tests := []struct {
		name, toml, errKey string
	}{
		{"ok", `[[plugins.engine]]
name = "pyocr"
path = "/opt/ocr/pyocr"
sha256 = "` + sum + `"
args = ["--fast"]
env = ["PYTHONPATH=/opt/ocr"]
workers = 1
[plugins.engine.settings]
mode = "fast"
`, ""},
		{"relative path", "[[plugins.engine]]\nname = \"x\"\npath = \"x\"\nsha256 = \"" + sum + "\"\n", "plugins.engine[0].path"},
		{"no checksum", "[[plugins.engine]]\nname = \"x\"\npath = \"/x\"\n", "plugins.engine[0].sha256"},
		{"bad name", "[[plugins.engine]]\nname = \"X Y\"\npath = \"/x\"\nsha256 = \"" + sum + "\"\n", "plugins.engine[0].name"},
		{"twice", "[[plugins.engine]]\nname = \"x\"\npath = \"/x\"\nsha256 = \"" + sum + "\"\n[[plugins.engine]]\nname = \"x\"\npath = \"/y\"\nsha256 = \"" + sum + "\"\n", "plugins.engine[1].name"},
		{"bad env", "[[plugins.engine]]\nname = \"x\"\npath = \"/x\"\nsha256 = \"" + sum + "\"\nenv = [\"NOVALUE\"]\n", "plugins.engine[0].env"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.toml")
			if err := os.WriteFile(path, []byte("[plugins.tesseract]\npsm = \"3\"\n"+tc.toml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path, nil, nil)
			if tc.errKey != "" {
				var ke *KeyError
				if !errors.As(err, &ke) || ke.Key != tc.errKey {
					t.Fatalf("err %v, want a KeyError for %s", err, tc.errKey)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Engines) != 1 || c.Engines[0].Name != "pyocr" || c.Engines[0].Args[0] != "--fast" ||
				c.Engines[0].Settings["mode"] != "fast" || len(c.Engines[0].Checksum()) != 32 || c.Plugins["tesseract"]["psm"] != "3" {
				t.Fatalf("engines %+v plugins %v", c.Engines, c.Plugins)
			}
			if _, ok := c.Plugins["engine"]; ok {
				t.Fatalf("the engine list leaked into the plugin settings tables")
			}
		})
	}
}

// The [cluster] keys: listen or url, a token before the embedded server
// listens beyond loopback, pairs set together, and a pure coordinator only
// with a cluster to hand pages to.
func TestClusterKeys(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		key  string // "" = valid
	}{
		{"off by default", nil, ""},
		{"loopback needs no token", []string{"OCRBOX_CLUSTER_LISTEN=127.0.0.1:4222"}, ""},
		{"network needs a token", []string{"OCRBOX_CLUSTER_LISTEN=0.0.0.0:4222"}, "cluster.token"},
		{"network with a token", []string{"OCRBOX_CLUSTER_LISTEN=0.0.0.0:4222", "OCRBOX_CLUSTER_TOKEN=s3cret"}, ""},
		{"not host:port", []string{"OCRBOX_CLUSTER_LISTEN=4222", "OCRBOX_CLUSTER_TOKEN=x"}, "cluster.listen"},
		{"both listen and url", []string{"OCRBOX_CLUSTER_LISTEN=127.0.0.1:4222", "OCRBOX_CLUSTER_URL=nats://n:4222"}, "cluster.listen"},
		{"url scheme", []string{"OCRBOX_CLUSTER_URL=http://n:4222"}, "cluster.url"},
		{"tls url", []string{"OCRBOX_CLUSTER_URL=tls://n:4222", "OCRBOX_CLUSTER_TLS_CA=/etc/ca.pem"}, ""},
		{"cert without key", []string{"OCRBOX_CLUSTER_URL=nats://n:4222", "OCRBOX_CLUSTER_TLS_CERT=/c.pem"}, "cluster.tls_cert"},
		{"user without password", []string{"OCRBOX_CLUSTER_URL=nats://n:4222", "OCRBOX_CLUSTER_USER=ocr"}, "cluster.user"},
		{"coordinator without cluster", []string{"OCRBOX_OCR_LOCAL_ENGINES=false"}, "ocr.local_engines"},
		{"pure coordinator", []string{"OCRBOX_OCR_LOCAL_ENGINES=false", "OCRBOX_CLUSTER_URL=nats://n:4222"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("", tt.env, nil)
			if tt.key == "" {
				if err != nil {
					t.Fatalf("valid configuration refused: %v", err)
				}
				if c.Cluster.Enabled() != (c.Cluster.Listen != "" || c.Cluster.URL != "") {
					t.Fatalf("Enabled() = %v for %+v", c.Cluster.Enabled(), c.Cluster)
				}
				return
			}
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != tt.key {
				t.Fatalf("error %v, want one naming %s", err, tt.key)
			}
		})
	}
}
