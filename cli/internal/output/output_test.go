package output

import (
	"bytes"
	"testing"

	"github.com/vend-tvm/vend/cli/internal/status"
)

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, map[string]int{"a": 1}); err != nil || b.String() != "{\n  \"a\": 1\n}\n" {
		t.Errorf("got %q, %v", b.String(), err)
	}
}

func TestNoArgs(t *testing.T) {
	check := NoArgs("whoami")
	if err := check(nil, nil); err != nil {
		t.Errorf("no arguments: %v", err)
	}
	err := check(nil, []string{"x"})
	if status.Code(err) != status.Usage || err.Error() != `whoami takes no arguments, got ["x"]` {
		t.Errorf("got %v", err)
	}
}
