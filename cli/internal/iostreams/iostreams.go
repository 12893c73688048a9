package iostreams

import (
	"bytes"
	"io"
	"os"
)

// IOStreams are the streams a command reads from and writes to.
type IOStreams struct {
	In io.Reader
	// Out and ErrOut escape terminal control characters (see Escaping): everything
	// vend itself prints goes there.
	Out    io.Writer
	ErrOut io.Writer
	// RawOut and RawErrOut are the streams themselves, for a child process that owns
	// the terminal (vend exec).
	RawOut    io.Writer
	RawErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	color     bool
}

// System returns the process's standard streams.
func System() *IOStreams {
	s := &IOStreams{
		In:        os.Stdin,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
	}
	// https://no-color.org: any non-empty NO_COLOR turns colour off.
	s.color = s.stdoutTTY && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	s.SetOutputs(os.Stdout, os.Stderr)
	return s
}

// SetOutputs sets the raw output streams and their escaping wrappers.
func (s *IOStreams) SetOutputs(out, errOut io.Writer) {
	s.RawOut, s.RawErrOut = out, errOut
	s.Out, s.ErrOut = Escaping(out), Escaping(errOut)
}

// Test returns streams backed by buffers: stdin, stdout and stderr, in that order.
// None of them is a terminal until the test says so.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	s := &IOStreams{In: in}
	s.SetOutputs(out, errOut)
	return s, in, out, errOut
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// ColorEnabled reports whether commands may colour what they print on stdout: it is a
// terminal, NO_COLOR is unset or empty, and TERM is not "dumb". Colour codes go to
// RawOut, since Out escapes them.
func (s *IOStreams) ColorEnabled() bool { return s.color }

// SetColorEnabled overrides the colour decision, for tests.
func (s *IOStreams) SetColorEnabled(v bool) { s.color = v }

// SetStdinTTY overrides terminal detection, for tests.
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides terminal detection, for tests.
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides terminal detection, for tests.
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// isTerminal is a character-device check: enough to decide about colours and warnings
// without pulling in a terminal library.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0
}
