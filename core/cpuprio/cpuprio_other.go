//go:build !linux

package cpuprio

// Lower does nothing outside Linux.
func Lower(pid, n int) error { return nil }

// Nice is 0 outside Linux.
func Nice(tid int) (int, error) { return 0, nil }
