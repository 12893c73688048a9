//go:build unix

package exec

import (
	"os"
	"syscall"
	"unsafe"
)

// Forwarded are the signals exec passes on to its child.
var Forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

// signalStatus is the exit status a shell reports for a child killed by sig.
func signalStatus(state *os.ProcessState) (int, bool) {
	ws, ok := state.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return 0, false
	}
	return 128 + int(ws.Signal()), true
}

// signalCode is the exit status of a process that sig killed.
func signalCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// keyboardReachedChild reports whether the terminal already delivered sig to the child.
// Ctrl-C and Ctrl-\ go to the terminal's whole foreground process group, which holds the
// child too; forwarding them again would make programs such as terraform see a second
// interrupt and abort without cleaning up.
func keyboardReachedChild(sig os.Signal) bool {
	if sig != syscall.SIGINT && sig != syscall.SIGQUIT {
		return false
	}
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false // no controlling terminal: the signal came from kill(2)
	}
	defer tty.Close()
	var pgrp int32
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), uintptr(syscall.TIOCGPGRP), uintptr(unsafe.Pointer(&pgrp)))
	if errno != 0 {
		return false
	}
	return int(pgrp) == syscall.Getpgrp()
}
