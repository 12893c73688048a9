package factory

import (
	"github.com/spf13/pflag"

	"github.com/vend-tvm/vend/cli/internal/config"
)

// VendFlags are the flags of every command that vends a profile's credentials
// (credential-process, console, exec, export, serve): what the request asks of the TVM
// and whether the disk cache may answer it.
type VendFlags struct {
	Duration config.Duration
	NoCache  bool
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
}
