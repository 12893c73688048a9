package dist

import (
	"context"
	"os"
	"testing"

	"github.com/vend-tvm/vend/magefiles/internal/project"
)

func TestZZRealDist(t *testing.T) {
	dir := os.Getenv("VEND_DIST_DIR")
	if dir == "" {
		t.Skip()
	}
	r, err := project.NewRunner()
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(context.Background(), r, dir); err != nil {
		t.Fatal(err)
	}
}
