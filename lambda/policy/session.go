package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vend-tvm/vend/internal/arn"
	"github.com/vend-tvm/vend/internal/sessionpolicy"
)

// loadSessionPolicies reads a profile's session_policy (an IAM policy written as a YAML
// mapping, or as JSON, which is YAML too) and session_policy_arns (managed policies in
// the role's account, or AWS managed ones), checked as the TVM checks a caller's scope.
func (l *loader) loadSessionPolicies(path string, f map[string]keyValue, p *Profile) {
	var scope sessionpolicy.Scope
	var at *yaml.Node
	if v := l.optional(path, f, "session_policy", "; write an IAM policy document, or leave the field out"); v != nil {
		at = l.resolve(v)
		doc, err := l.nodeJSON(path+".session_policy", v)
		if err == nil {
			doc, err = sessionpolicy.ParseDocument(doc)
		}
		if err != nil {
			l.errorf(path+".session_policy", v, "%s", strings.TrimPrefix(err.Error(), sessionpolicy.ErrInvalid.Error()+": "))
			return
		}
		scope.Policy = doc
	}
	if v := l.optional(path, f, "session_policy_arns", "; list managed policy ARNs, or leave the field out"); v != nil {
		if at == nil {
			at = l.resolve(v)
		}
		account := arn.AccountOf(p.RoleARN)
		scope.ARNs, _ = l.stringList(path+".session_policy_arns", v, func(s string) error {
			if err := sessionpolicy.CheckARN(s); err != nil {
				return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), sessionpolicy.ErrInvalid.Error()+": "))
			}
			if a := sessionpolicy.AccountOf(s); a != "aws" && account != "" && a != account {
				return fmt.Errorf("%q is in account %s, not the role's %s; a managed session policy must be in the role's account or an AWS managed policy", s, a, account)
			}
			return nil
		})
	}
	if scope.Empty() {
		return
	}
	if err := scope.Validate(); err != nil {
		l.errorf(path, at, "%s", strings.TrimPrefix(err.Error(), sessionpolicy.ErrInvalid.Error()+": "))
		return
	}
	p.SessionPolicy, p.SessionPolicyARNs = string(scope.Policy), scope.ARNs
}

// nodeJSON writes a YAML value as JSON: mappings as objects in the order written,
// sequences as arrays, and every scalar as a string, as IAM reads them ("true" and true
// are the same to a Bool condition). Merge keys and duplicate keys follow pairs.
func (l *loader) nodeJSON(path string, n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	if err := l.writeJSON(&buf, path, n, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (l *loader) writeJSON(buf *bytes.Buffer, path string, n *yaml.Node, depth int) error {
	n = l.resolve(n)
	switch {
	case n == nil:
		return fmt.Errorf("unresolvable alias")
	case l.budget:
		return fmt.Errorf("too complex")
	case depth > 16:
		return fmt.Errorf("nested more than 16 deep")
	}
	switch n.Kind {
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i, kv := range l.pairs(path, n, 0) {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, kv.key.Value)
			buf.WriteByte(':')
			if err := l.writeJSON(buf, joinPath(path, kv.key.Value), kv.val, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := l.writeJSON(buf, fmt.Sprintf("%s[%d]", path, i), item, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		if isNull(n) {
			return fmt.Errorf("%s is empty; write a value", path)
		}
		writeString(buf, n.Value)
	default:
		return fmt.Errorf("%s is %s, which a policy document cannot hold", path, kindName(n))
	}
	return nil
}

func writeString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always encodes
	buf.Write(b)
}

// ErrScopeRequired and ErrInvalidScope are the two ways Decision.Session refuses; the
// error is a *ScopeError that says which, and why in words for the caller.
var (
	ErrScopeRequired = errors.New("scope required")
	ErrInvalidScope  = errors.New("invalid scope")
)

// ScopeError is Decision.Session's refusal. It never quotes the document.
type ScopeError struct {
	Required bool   // the deciding rule requires a scope and the caller gave none
	Rule     string // with Required, that rule
	Msg      string
}

func (e *ScopeError) Error() string { return e.Msg }

// Is makes errors.Is(err, ErrScopeRequired) or errors.Is(err, ErrInvalidScope) true.
func (e *ScopeError) Is(target error) bool {
	return target == ErrScopeRequired && e.Required || target == ErrInvalidScope && !e.Required
}

// Session is what an allowed vend passes to AssumeRole as session policies.
type Session struct {
	Scope  sessionpolicy.Scope // empty for none
	Source string              // "profile", "caller", or "" with no session policies
}

// Session decides the session policies of an allowed decision given the caller's scope
// (empty for none): the profile's own, or the caller's, never both. AWS evaluates the
// session policies of one call as one set, in which an Allow in any of them allows, so
// a caller's scope beside a profile's session policies would widen the profile and is
// refused, as is a managed policy outside the role's account. A rule that requires a
// scope is refused without one. The TVM vends with it and vend policy test shows it.
func (d Decision) Session(scope sessionpolicy.Scope) (Session, error) {
	p := d.Profile
	switch {
	case scope.Empty() && d.RequireScope:
		return Session{}, &ScopeError{Required: true, Rule: d.Rule, Msg: "rule " + d.Rule + " allows this caller only with a scope of their own (--scope or --scope-arn)"}
	case scope.Empty() && p.Narrowed():
		return Session{Scope: sessionpolicy.Scope{Policy: []byte(p.SessionPolicy), ARNs: p.SessionPolicyARNs}, Source: "profile"}, nil
	case scope.Empty():
		return Session{}, nil
	case p.Narrowed():
		return Session{}, &ScopeError{Msg: "profile " + p.Name + " carries session policies of its own, and AWS would allow what either allows, so a scope cannot narrow it further; use the profile without a scope, or ask for a profile without session policies"}
	}
	account := arn.AccountOf(p.RoleARN)
	for _, a := range scope.ARNs {
		if acct := sessionpolicy.AccountOf(a); acct != "aws" && acct != account {
			return Session{}, &ScopeError{Msg: fmt.Sprintf("managed policy %s is in account %s; a session policy must be in the role's account (%s) or an AWS managed policy", a, acct, account)}
		}
	}
	return Session{Scope: scope, Source: "caller"}, nil
}
