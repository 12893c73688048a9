package factory_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/vend-tvm/vend/cli/internal/factory"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

const readReports = `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]
}`

// parseVendFlags parses args as a vending command's flags.
func parseVendFlags(t *testing.T, args ...string) (factory.VendFlags, error) {
	t.Helper()
	var vf factory.VendFlags
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	vf.Register(fs, factory.OneSet)
	return vf, fs.Parse(args)
}

func writeScope(t *testing.T, doc string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scope.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A scope reaches the TVM compact and base64url-encoded, with its ARNs; credentials
// vended with a scope are served from the cache only for the same scope, and never to
// an unscoped request (nor the other way round).
func TestVendScopeReachesTheTVMAndKeysTheCache(t *testing.T) {
	e := newSDKEnv(t)
	e.useEnvKeys(tvmtest.BaseAccessKeyID)
	scoped, err := parseVendFlags(t, "--scope", writeScope(t, readReports), "--scope-arn", "arn:aws:iam::aws:policy/ReadOnlyAccess")
	if err != nil {
		t.Fatal(err)
	}
	vend := func(vf factory.VendFlags) bool {
		t.Helper()
		v, err := e.F.Vend(context.Background(), "deploy", vf)
		if err != nil {
			t.Fatalf("Vend: %v", err)
		}
		return v.Cached
	}
	if vend(scoped) {
		t.Fatal("first vend cached")
	}
	calls := e.TVM.Calls()
	q, _ := url.ParseQuery(calls[len(calls)-1].Query)
	doc, err := base64.RawURLEncoding.DecodeString(q.Get(wire.QueryScope))
	if err != nil || string(doc) != `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}` {
		t.Errorf("scope sent as %q (%v), want the compact document", q.Get(wire.QueryScope), err)
	}
	if got := q[wire.QueryScopeARN]; len(got) != 1 || got[0] != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Errorf("scope_arn sent as %v", got)
	}
	if !vend(scoped) {
		t.Error("the same scope again: not served from the cache")
	}
	before := e.calls()
	if vend(factory.VendFlags{}) || e.calls() != before+1 {
		t.Error("an unscoped request was served the scoped credentials")
	}
	if q, _ := url.ParseQuery(e.TVM.Calls()[len(e.TVM.Calls())-1].Query); q.Has(wire.QueryScope) || q.Has(wire.QueryScopeARN) {
		t.Errorf("query %v sends a scope nobody gave", q)
	}
	other, err := parseVendFlags(t, "--scope", writeScope(t, strings.Replace(readReports, "reports/*", "reports/2026/*", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if vend(other) || e.calls() != before+2 {
		t.Error("another scope was served the first scope's credentials")
	}
}

func TestScopeFlagsChecked(t *testing.T) {
	for name, args := range map[string][]string{
		"missing file":    {"--scope", filepath.Join(t.TempDir(), "nope.json")},
		"not a policy":    {"--scope", writeScope(t, `{"Statement": "everything"}`)},
		"a principal":     {"--scope", writeScope(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`)},
		"two files":       {"--scope", writeScope(t, readReports), "--scope", writeScope(t, readReports)},
		"a role, not ARN": {"--scope-arn", "arn:aws:iam::111111111111:role/admin"},
	} {
		if _, err := parseVendFlags(t, args...); err == nil {
			t.Errorf("%s: %v accepted", name, args)
		}
	}
	deny, err := parseVendFlags(t, "--scope", writeScope(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`))
	if err != nil {
		t.Fatal(err)
	}
	e := newSDKEnv(t)
	e.useEnvKeys(tvmtest.BaseAccessKeyID)
	if _, err := e.F.Vend(context.Background(), "deploy", deny); err == nil || !strings.Contains(err.Error(), "no Allow statement") || e.calls() != 0 {
		t.Errorf("a scope that allows nothing: %v after %d calls, want a refusal before any call", err, e.calls())
	}
}
