package domain

import (
	"errors"
	"syscall"
)

// DiskFull reports an error caused by a full disk or an exhausted disk
// quota: a condition that passes when space is freed, so work waits for it
// instead of failing for good.
func DiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// ErrDiskFull is what a client is told when the server ran out of disk
// space: temporary (503 with Retry-After), and without the path that a file
// system error would name.
func ErrDiskFull() *Error {
	return Errorf(ErrUnavailable, CodeDiskFull, "the server is out of disk space; try again later")
}
