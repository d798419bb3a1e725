package idp

import (
	"os/exec"
	"syscall"
)

// setDeathSignal kills Dex when the test process dies without running its
// cleanups (a panic, a timeout, ^C), so no orphan keeps the port.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
