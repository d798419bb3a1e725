package host_test

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocrbox/ocrbox/plugins/host"
	"github.com/ocrbox/ocrbox/plugins/sdk"
)

// pidOf reads the echo engine's pid from its answer.
func pidOf(t *testing.T, text string) int {
	t.Helper()
	var pid int
	if _, err := fmt.Sscanf(text[strings.Index(text, "pid="):], "pid=%d", &pid); err != nil {
		t.Fatalf("no pid in %q", text)
	}
	return pid
}

// TestParkedProcessStartsOnFirstUse: a parked process has no subprocess,
// the supervisor leaves it asleep, it counts as alive, and the first call
// starts it (with its settings) without counting a restart; Park stops it
// again and the next call gets a new process.
func TestParkedProcessStartsOnFirstUse(t *testing.T) {
	spec := host.Spec{Name: "echo", Kind: sdk.KindEngine, HealthInterval: 20 * time.Millisecond,
		Settings: map[string]string{"greeting": "hi"}}
	p := host.NewParked(context.Background(), spec, quietLog())
	t.Cleanup(p.Kill)

	time.Sleep(100 * time.Millisecond) // several supervisor ticks
	if p.Running() {
		t.Fatal("a parked process was started by the supervisor")
	}
	if !p.Alive() {
		t.Fatal("a parked process must count as alive (readiness)")
	}
	r1, err := recognize(t, p, []byte("a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Running() || !strings.Contains(r1.GetText(), "setting=hi") {
		t.Fatalf("after the first call: running=%v, answer %q", p.Running(), r1.GetText())
	}
	first := pidOf(t, r1.GetText())

	p.Park()
	if p.Running() {
		t.Fatal("Park left the process running")
	}
	// The subprocess is gone, not just forgotten.
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(first, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if syscall.Kill(first, 0) == nil {
		t.Fatalf("process %d still exists after Park", first)
	}
	time.Sleep(100 * time.Millisecond)
	if p.Running() {
		t.Fatal("the supervisor restarted a parked process")
	}
	r2, err := recognize(t, p, []byte("a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if pidOf(t, r2.GetText()) == first {
		t.Fatal("the same process answered after Park")
	}
	if p.Restarts() != 0 {
		t.Fatalf("restarts = %d: starts on demand are not crashes", p.Restarts())
	}
}
