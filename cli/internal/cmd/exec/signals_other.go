//go:build !unix

package exec

import "os"

// Forwarded are the signals exec passes on to its child.
var Forwarded = []os.Signal{os.Interrupt}

func signalStatus(*os.ProcessState) (int, bool) { return 0, false }

// signalCode is vend's exit status when sig stops it before the command starts.
func signalCode(os.Signal) int { return 1 }

// keyboardReachedChild: on Windows the console delivers Ctrl-C to every attached process.
func keyboardReachedChild(sig os.Signal) bool { return sig == os.Interrupt }
