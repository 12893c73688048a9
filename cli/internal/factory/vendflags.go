package factory

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/internal/sessionpolicy"
	"github.com/vend-tvm/vend/lambda/wire"
)

// VendFlags are the flags of every command that vends a profile's credentials
// (credential-process, console, exec, export, serve): what the request asks of the TVM
// and whether the disk cache may answer it.
type VendFlags struct {
	Duration config.Duration
	NoCache  bool
	// Reason is the justification (--reason): a break-glass rule vends only with one, and
	// the TVM records it in its decision log, and in the alert, whenever it is given.
	Reason string
	// Scope narrows the session (--scope FILE, --scope-arn ARN): session policies the
	// TVM passes to sts:AssumeRole. Each part is checked as the flag is parsed, the whole
	// by Vend.
	Scope sessionpolicy.Scope
}

// Lifetime words the --duration help for the kind of command.
type Lifetime int

const (
	// OneSet is a command that vends once and ends (credential-process, export).
	OneSet Lifetime = iota
	// Refreshed is a command that runs on and vends again before expiry (exec, serve).
	Refreshed
	// ConsoleSession is vend console, whose sign-in lasts as long as the credentials.
	ConsoleSession
)

// Register adds --duration and --no-cache to fs.
func (v *VendFlags) Register(fs *pflag.FlagSet, l Lifetime) {
	what, cacheHelp := "the credentials", "always ask the TVM; neither read nor write the disk cache"
	switch l {
	case Refreshed:
		what, cacheHelp = "each set of credentials", "always ask the TVM at the start; neither read nor write the disk cache"
	case ConsoleSession:
		what = "the credentials and so of the console session"
	}
	fs.Var(&v.Duration, "duration", "lifetime of "+what+", 15m to 1h (default: the TVM's)")
	fs.BoolVar(&v.NoCache, "no-cache", false, cacheHelp)
	fs.Var((*reason)(&v.Reason), "reason", "why you need the access, one line (required by break-glass profiles; logged and sent with the alert)")
	RegisterScope(fs, &v.Scope)
}

// RegisterScope adds --scope FILE and --scope-arn ARN (repeatable) to fs, filling s.
func RegisterScope(fs *pflag.FlagSet, s *sessionpolicy.Scope) {
	fs.Var((*scopeFile)(s), "scope", "narrow the session to an IAM policy in this JSON file (a session policy: it can only remove permissions)")
	fs.Var((*scopeARN)(s), "scope-arn", "narrow the session to this managed policy too (repeatable; in the role's account, or AWS managed)")
}

// scopeFile is --scope: the file is read and checked as the flag is parsed, so that a
// bad document is a usage error before any request.
type scopeFile sessionpolicy.Scope

func (s *scopeFile) String() string {
	if len(s.Policy) == 0 {
		return ""
	}
	return "sha256:" + (*sessionpolicy.Scope)(s).SHA256()
}
func (s *scopeFile) Type() string { return "file" }

func (s *scopeFile) Set(path string) error {
	if len(s.Policy) > 0 {
		return fmt.Errorf("give one --scope file; put every statement in it")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := sessionpolicy.ParseDocument(data)
	if err != nil {
		return fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), sessionpolicy.ErrInvalid.Error()+": "))
	}
	s.Policy = doc
	return nil
}

// scopeARN is --scope-arn, repeatable.
type scopeARN sessionpolicy.Scope

func (s *scopeARN) String() string { return strings.Join(s.ARNs, ",") }
func (s *scopeARN) Type() string   { return "arn" }

func (s *scopeARN) Set(a string) error {
	if err := sessionpolicy.CheckARN(a); err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), sessionpolicy.ErrInvalid.Error()+": "))
	}
	s.ARNs = append(s.ARNs, a)
	return nil
}

// reason is --reason, checked as the TVM checks it, so that a bad one is a usage error
// before any request.
type reason string

func (r *reason) String() string { return string(*r) }
func (r *reason) Type() string   { return "text" }

func (r *reason) Set(s string) error {
	if err := wire.CheckReason(s); err != nil {
		return err
	}
	*r = reason(s)
	return nil
}
