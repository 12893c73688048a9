package export

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

var sample = aws.Credentials{
	AccessKeyID: "ASIAX", SecretAccessKey: "se'cret", SessionToken: `to\ken`,
	Expires: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), CanExpire: true,
}

func TestWrite(t *testing.T) {
	tests := []struct {
		format string
		want   string
	}{
		{"env", "export AWS_ACCESS_KEY_ID='ASIAX'\nexport AWS_SECRET_ACCESS_KEY='se'\\''cret'\nexport AWS_SESSION_TOKEN='to\\ken'\nexport AWS_CREDENTIAL_EXPIRATION='2030-01-02T03:04:05Z'\n"},
		{"fish", "set -gx AWS_ACCESS_KEY_ID 'ASIAX';\nset -gx AWS_SECRET_ACCESS_KEY 'se\\'cret';\nset -gx AWS_SESSION_TOKEN 'to\\\\ken';\nset -gx AWS_CREDENTIAL_EXPIRATION '2030-01-02T03:04:05Z';\n"},
		{"powershell", "$Env:AWS_ACCESS_KEY_ID = 'ASIAX'\n$Env:AWS_SECRET_ACCESS_KEY = 'se''cret'\n$Env:AWS_SESSION_TOKEN = 'to\\ken'\n$Env:AWS_CREDENTIAL_EXPIRATION = '2030-01-02T03:04:05Z'\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tt.format, sample); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		var b bytes.Buffer
		if err := Write(&b, "json", sample); err != nil {
			t.Fatal(err)
		}
		var got map[string]string
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"AWS_ACCESS_KEY_ID": "ASIAX", "AWS_SECRET_ACCESS_KEY": "se'cret", "AWS_SESSION_TOKEN": `to\ken`,
			"AWS_CREDENTIAL_EXPIRATION": "2030-01-02T03:04:05Z",
		}
		if len(got) != len(want) {
			t.Errorf("got %v", got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
	})
}

func TestExportRun(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	if err := e.Run(t, NewCmdExport(e.F, nil), "--duration", "45m", "deploy"); err != nil {
		t.Fatal(err)
	}
	out := e.Out.String()
	for _, want := range []string{"export AWS_ACCESS_KEY_ID='" + tvmtest.VendedAccessKeyID + "'", "export AWS_SESSION_TOKEN='" + tvmtest.VendedSessionToken + "'"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(e.ErrOut.String(), "do not refresh") {
		t.Errorf("no warning on stderr: %s", e.ErrOut)
	}
	if q := e.TVM.Calls()[0].Query; !strings.Contains(q, "duration=2700") {
		t.Errorf("query %q", q)
	}
	e.AssertNoSecrets(t)
}

func TestExportReusesCachedCredentials(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathCredentials, tvmtest.Allow(time.Hour))
	var outs []string
	for _, args := range [][]string{{"deploy"}, {"deploy"}, {"--no-cache", "deploy"}} {
		e.Out.Reset()
		if err := e.Run(t, NewCmdExport(e.F, nil), args...); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, e.Out.String())
	}
	if outs[1] != outs[0] {
		t.Errorf("the cached run printed other credentials:\n%s\n%s", outs[0], outs[1])
	}
	if n := e.TVM.CallCount(wire.PathCredentials); n != 2 {
		t.Errorf("TVM calls = %d, want 2 (the second run from the cache, --no-cache asks)", n)
	}
	if strings.Count(e.ErrOut.String(), "do not refresh") != 3 {
		t.Errorf("every run warns when its credentials expire:\n%s", e.ErrOut)
	}
	e.AssertNoSecrets(t)
}

func TestNewCmdExportValidation(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no profile", nil, status.Usage},
		{"bad format", []string{"--format", "csv", "p"}, status.Usage},
		{"bad duration", []string{"--duration", "5m", "p"}, status.Usage},
		{"ok", []string{"--format", "fish", "p"}, status.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := cmdtest.New(t)
			var got *ExportOptions
			err := e.Run(t, NewCmdExport(e.F, func(o *ExportOptions) error { got = o; return nil }), tt.args...)
			if status.Code(err) != tt.want {
				t.Fatalf("got %v, want exit %d", err, tt.want)
			}
			if tt.want == status.OK && (got.Output != "fish" || got.Profile != "p") {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// psUnquote reads a single-quoted PowerShell string literal as PowerShell's tokenizer
// does: any of the five quote characters ends it unless another quote character follows.
func psUnquote(t *testing.T, lit string) string {
	t.Helper()
	r := []rune(lit)
	if len(r) < 2 || !isPSQuote(r[0]) {
		t.Fatalf("not a literal: %q", lit)
	}
	var b strings.Builder
	for i := 1; i < len(r); i++ {
		if isPSQuote(r[i]) {
			if i+1 < len(r) && isPSQuote(r[i+1]) {
				b.WriteRune(r[i+1])
				i++
				continue
			}
			if i != len(r)-1 {
				t.Fatalf("literal %q ends early at %d: the rest would run as code", lit, i)
			}
			return b.String()
		}
		b.WriteRune(r[i])
	}
	t.Fatalf("literal %q is not closed", lit)
	return ""
}

func TestPSQuoteCurlyQuotes(t *testing.T) {
	for _, v := range []string{"plain", "it's", "a\u2018b", "a\u2019; Remove-Item -Recurse ~\u2019", "\u201a\u201b''", "$(whoami)"} {
		if got := psUnquote(t, psQuote(v)); got != v {
			t.Errorf("psQuote(%q) reads back as %q", v, got)
		}
	}
}
