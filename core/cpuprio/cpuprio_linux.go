package cpuprio

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// Lower sets the nice value of every thread of process pid (0: this
// process) to n (0..MaxNice); n = 0 does nothing. Threads that ended
// meanwhile are skipped.
func Lower(pid, n int) error {
	if n <= 0 {
		return nil
	}
	n = min(n, MaxNice)
	dir := "/proc/self/task"
	if pid > 0 {
		dir = fmt.Sprintf("/proc/%d/task", pid)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list the threads of %s: %w", dir, err)
	}
	for _, e := range entries {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, n); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("set the nice value of thread %d to %d: %w", tid, n, err)
		}
	}
	return nil
}

// Nice returns the nice value of thread tid (0: the calling thread).
func Nice(tid int) (int, error) {
	// The raw syscall answers 20 - nice.
	v, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return 0, err
	}
	return 20 - v, nil
}
