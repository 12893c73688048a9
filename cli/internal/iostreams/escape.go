package iostreams

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Escaping returns a writer that passes text to w with every character that could drive
// a terminal made visible: C0 controls other than tab and newline (ESC, CR, BEL...),
// DEL, C1 controls, and the Unicode format characters that reorder or hide text (bidi
// overrides and isolates, marks, line and paragraph separators). They are written as
// \uXXXX, which is also how JSON spells them inside a string, so JSON output stays valid
// and keeps its value; bytes that are not UTF-8 become \xXX.
//
// Everything vend prints goes through it (System wraps Out and ErrOut), so no text from
// a policy, the TVM, a server that is not a TVM or an error can rewrite the screen.
// Only a child of vend exec writes to the terminal directly (RawOut, RawErrOut).
func Escaping(w io.Writer) io.Writer {
	if e, ok := w.(*escaper); ok {
		return e
	}
	return &escaper{w: w}
}

// EscapeString returns s as Escaping writes it, for text that is assembled with
// terminal codes of vend's own and then written to a raw stream.
func EscapeString(s string) string {
	var b strings.Builder
	_, _ = Escaping(&b).Write([]byte(s))
	return b.String()
}

type escaper struct{ w io.Writer }

func (e *escaper) Write(p []byte) (int, error) {
	clean := true
	for i := 0; i < len(p); {
		if p[i] < utf8.RuneSelf {
			if needsEscape(rune(p[i])) {
				clean = false
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && size == 1 || needsEscape(r) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return e.w.Write(p)
	}
	out := make([]byte, 0, len(p)+16)
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, `\x%02x`, p[i])
		case needsEscape(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, p[i:i+size]...)
		}
		i += size
	}
	if _, err := e.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// needsEscape reports whether r could control a terminal or disguise text.
func needsEscape(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
