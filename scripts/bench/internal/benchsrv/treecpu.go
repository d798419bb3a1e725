package benchsrv

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// TreeCPU is the user+system CPU of pid and all its descendants, counting
// both the live processes and the children they have already waited for
// (cutime/cstime): short-lived helpers such as pdftoppm are in it, each CPU
// second once. Compare two readings to charge a span of work to the tree.
func TreeCPU(pid int) time.Duration {
	var total time.Duration
	seen := map[int]bool{}
	var walk func(int)
	walk = func(p int) {
		if seen[p] {
			return
		}
		seen[p] = true
		total += cpuWithChildren(p)
		for _, c := range Children(p) {
			walk(c)
		}
	}
	walk(pid)
	return total
}

// cpuWithChildren reads utime, stime, cutime and cstime from
// /proc/PID/stat; 0 if the process is gone.
func cpuWithChildren(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	// After ")": state is field 3, so utime(14)..cstime(17) are 11..14.
	if len(f) < 15 {
		return 0
	}
	var ticks int64
	for _, s := range f[11:15] {
		n, _ := strconv.ParseInt(s, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clkTck
}
