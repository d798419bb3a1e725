package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

func TestContextAttributes(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "info", "json").With("component", "test")
	ctx := With(context.Background(), "request_id", "r-1")
	ctx = With(ctx, "user_id", "u-1")
	tests := []struct {
		name string
		log  func()
		want map[string]string
		not  []string
	}{
		{"context attributes added", func() { log.InfoContext(ctx, "hello", "k", "v") },
			map[string]string{"request_id": "r-1", "user_id": "u-1", "k": "v", "component": "test"}, nil},
		{"explicit value wins, no duplicate", func() { log.InfoContext(ctx, "hello", "user_id", "u-2") },
			map[string]string{"request_id": "r-1", "user_id": "u-2"}, nil},
		{"no context, no attributes", func() { log.Info("hello") }, map[string]string{"msg": "hello"}, []string{"request_id", "user_id"}},
		{"groups keep working", func() { log.WithGroup("g").InfoContext(ctx, "hello", "k", "v") }, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf.Reset()
			tc.log()
			if bytes.Count(buf.Bytes(), []byte(`"user_id"`)) > 1 {
				t.Fatalf("duplicate key: %s", buf.String())
			}
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, buf.String())
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %s (%s)", k, got[k], v, buf.String())
				}
			}
			for _, k := range tc.not {
				if _, ok := got[k]; ok {
					t.Errorf("%s present: %s", k, buf.String())
				}
			}
		})
	}
}
