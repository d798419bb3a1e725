//go:build !linux

package ldapserver

import "syscall"

// sysProcAttr has no parent-death signal off Linux.
func sysProcAttr() *syscall.SysProcAttr { return nil }
