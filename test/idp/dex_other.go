//go:build !linux

package idp

import "os/exec"

// setDeathSignal has no portable equivalent outside Linux; Close still
// stops Dex.
func setDeathSignal(*exec.Cmd) {}
