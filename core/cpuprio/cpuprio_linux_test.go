package cpuprio

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLowerAnotherProcess: every thread of a child (a Go program has
// several) gets the nice value, and so do threads it starts afterwards.
func TestLowerAnotherProcess(t *testing.T) {
	if os.Getenv("CPUPRIO_CHILD") == "1" {
		time.Sleep(10 * time.Second)
		return
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^TestLowerAnotherProcess$")
	cmd.Env = append(os.Environ(), "CPUPRIO_CHILD=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	time.Sleep(200 * time.Millisecond) // let its runtime start its threads
	for _, n := range []int{7, 12} {
		if err := Lower(cmd.Process.Pid, n); err != nil {
			t.Fatal(err)
		}
		threads := niceOfThreads(t, cmd.Process.Pid)
		if len(threads) < 2 {
			t.Fatalf("the child has %d threads; want a Go program's several", len(threads))
		}
		for tid, got := range threads {
			if got != n {
				t.Errorf("Lower(%d): thread %d has nice %d", n, tid, got)
			}
		}
	}
}

// niceOfThreads reads each thread's nice value from /proc (field 19 of
// stat).
func niceOfThreads(t *testing.T, pid int) map[int]int {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, e := range entries {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, e.Name()))
		if err != nil {
			continue
		}
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		nice, err := strconv.Atoi(fields[16]) // field 19 overall
		if err != nil {
			t.Fatal(err)
		}
		tid, _ := strconv.Atoi(e.Name())
		out[tid] = nice
	}
	return out
}
