package status

import (
	"errors"
	"fmt"

	"github.com/vend-tvm/vend/lambda/wire"
)

// Exit statuses of vend. exec exits with its child's status instead.
const (
	OK     = 0
	Error  = 1
	Usage  = 2
	Denied = 3
	// Unisolated: vend could not make sure that a child (exec) or a shell (serve) would
	// use vend's credentials rather than others its AWS files or environment name.
	Unisolated = 4
)

// UsageError is a wrong invocation: bad flags, missing arguments. It exits 2.
type UsageError struct {
	Err error
}

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ExitError ends vend with a given status. Err, when set, is printed first; when nil the
// command has already said everything (or, for exec, the child has).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

func (e *ExitError) Unwrap() error { return e.Err }

// ErrSilent exits 1 without printing anything more: the command has reported already.
var ErrSilent = &ExitError{Code: Error}

// Code returns the exit status for err.
func Code(err error) int {
	if err == nil {
		return OK
	}
	var exitErr *ExitError
	if errors.As(err, &exitErr) {
		return exitErr.Code
	}
	var usageErr *UsageError
	if errors.As(err, &usageErr) {
		return Usage
	}
	if IsDenied(err) {
		return Denied
	}
	return Error
}

// IsDenied reports whether err is a policy denial from the TVM; a break-glass
// rule that wants a reason is one.
func IsDenied(err error) bool {
	var wireErr *wire.Error
	if !errors.As(err, &wireErr) {
		return false
	}
	switch wireErr.Code {
	case wire.CodeAccessDenied, wire.CodeReasonRequired, wire.CodeScopeRequired, wire.CodeApprovalRequired, wire.CodeSelfApproval, wire.CodeNotAnApprover, wire.CodeNotARevoker:
		return true
	}
	return false
}
