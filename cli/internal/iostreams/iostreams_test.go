package iostreams

import (
	"fmt"
	"os"
	"testing"
)

func TestTestStreams(t *testing.T) {
	ios, in, out, errOut := Test()
	in.WriteString("input")
	fmt.Fprint(ios.Out, "out")
	fmt.Fprint(ios.ErrOut, "err")
	b := make([]byte, 5)
	if n, _ := ios.In.Read(b); string(b[:n]) != "input" {
		t.Errorf("in = %q", b[:n])
	}
	if out.String() != "out" || errOut.String() != "err" {
		t.Errorf("out %q err %q", out, errOut)
	}
	if ios.IsStdinTTY() || ios.IsStdoutTTY() || ios.IsStderrTTY() {
		t.Error("test streams claim to be terminals")
	}
	ios.SetStdoutTTY(true)
	if !ios.IsStdoutTTY() {
		t.Error("SetStdoutTTY ignored")
	}
}

func TestIsTerminalOnAFile(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
}
