package sdk

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestLoggerSpeaksHCLogJSON(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf).Warn("model loaded", "lang", "eng")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["@level"] != "WARN" || rec["@message"] != "model loaded" || rec["lang"] != "eng" {
		t.Fatalf("record %v", rec)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000000Z07:00", rec["@timestamp"].(string)); err != nil {
		t.Fatalf("@timestamp not in go-plugin's layout: %v", err)
	}
}
