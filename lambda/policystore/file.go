package policystore

import (
	"context"
	"fmt"
	"os"

	"github.com/vend-tvm/vend/lambda/policy"
)

// maxPolicyBytes bounds what is read: an SSM advanced parameter holds at most 8 KiB and
// a policy file has no reason to be much larger.
const maxPolicyBytes = 1 << 20

// FileSource is a policy read once from a file.
type FileSource struct {
	p   *policy.Policy
	err error
}

// File reads and parses path now (at cold start). When that fails, every later call to
// Policy returns the error, wrapping policy.ErrInvalid: a configured policy that cannot
// be read is as broken as one that does not parse, and a restart is needed to fix it.
func File(path string) *FileSource {
	data, err := readBounded(path)
	if err != nil {
		return &FileSource{err: fmt.Errorf("%w: read policy file: %w", policy.ErrInvalid, err)}
	}
	p, err := policy.Parse(data)
	if err != nil {
		return &FileSource{err: fmt.Errorf("policy file %s: %w", path, err)}
	}
	return &FileSource{p: p}
}

// Static returns a source that always yields p, or err when p is nil. Main uses it to
// fail closed on a configuration error; tests use it for a fixed policy.
func Static(p *policy.Policy, err error) *FileSource {
	if p == nil && err == nil {
		err = fmt.Errorf("%w: no policy", policy.ErrInvalid)
	}
	return &FileSource{p: p, err: err}
}

// Policy returns the policy read at construction, or why there is none.
func (f *FileSource) Policy(context.Context) (*policy.Policy, error) {
	return f.p, f.err
}

// Err returns the load error, or nil; main logs it at cold start.
func (f *FileSource) Err() error { return f.err }

func readBounded(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxPolicyBytes {
		return nil, fmt.Errorf("policy file is larger than %d bytes", maxPolicyBytes)
	}
	data := make([]byte, st.Size())
	if _, err := fh.ReadAt(data, 0); err != nil && st.Size() > 0 {
		return nil, err
	}
	return data, nil
}
