package status

import (
	"errors"
	"fmt"
	"testing"

	"github.com/vend-tvm/vend/lambda/wire"
)

func TestCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain", errors.New("boom"), Error},
		{"usage", Usagef("missing profile"), Usage},
		{"wrapped usage", fmt.Errorf("exec: %w", Usagef("x")), Usage},
		{"local denial", &ExitError{Code: Denied}, Denied},
		{"tvm denial", fmt.Errorf("fetch: %w", &wire.Error{Code: wire.CodeAccessDenied}), Denied},
		{"tvm other error", &wire.Error{Code: wire.CodeUnknownProfile}, Error},
		{"child status", &ExitError{Code: 42}, 42},
		{"silent", ErrSilent, Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.err); got != tt.want {
				t.Errorf("Code(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}
