package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vend-tvm/vend/lambda/wire"
)

// Duration is a credential lifetime. Zero means "not set": the TVM then applies its own
// default. It is a pflag.Value so that --duration parses and validates like the file.
type Duration time.Duration

// ParseDuration accepts a Go duration ("1h", "45m") or whole seconds ("3600") and checks
// the range the TVM can vend: role chaining caps AssumeRole at one hour.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if n, err := strconv.Atoi(s); err == nil {
		d = time.Duration(n) * time.Second
	} else {
		d, err = time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: use a value like 1h, 45m or 3600", s)
		}
	}
	lo := time.Duration(wire.MinDurationSeconds) * time.Second
	hi := time.Duration(wire.MaxDurationSeconds) * time.Second
	if d < lo || d > hi {
		return 0, fmt.Errorf("duration %s out of range: the TVM vends credentials for %s to %s", d, lo, hi)
	}
	if d%time.Second != 0 {
		return 0, fmt.Errorf("duration %s is not a whole number of seconds", d)
	}
	return Duration(d), nil
}

// Seconds returns the duration in whole seconds, 0 when unset.
func (d Duration) Seconds() int { return int(time.Duration(d) / time.Second) }

// String implements pflag.Value; unset prints as empty so help shows no default.
func (d Duration) String() string {
	if d == 0 {
		return ""
	}
	return time.Duration(d).String()
}

// Set implements pflag.Value.
func (d *Duration) Set(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Type implements pflag.Value.
func (d *Duration) Type() string { return "duration" }

// UnmarshalYAML accepts the same forms as the flag; an error names the line because
// custom unmarshalers bypass yaml's own line reporting.
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: duration must be a value like 1h or 3600", node.Line)
	}
	v, err := ParseDuration(node.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", node.Line, err)
	}
	*d = v
	return nil
}
