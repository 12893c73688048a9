//go:build !unix

package exec

import "os"

// Forwarded are the signals exec passes on to its child.
var Forwarded = []os.Signal{os.Interrupt}

func signalStatus(*os.ProcessState) (int, bool) { return 0, false }

// keyboardReachedChild: on Windows the console delivers Ctrl-C to every attached process.
func keyboardReachedChild(sig os.Signal) bool { return sig == os.Interrupt }
