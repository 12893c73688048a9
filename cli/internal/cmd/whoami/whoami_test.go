package whoami

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

var answer = wire.Whoami{
	Caller: wire.Caller{
		ARN: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Engineer_abc/alice@example.com", AccountID: "111122223333",
		OrgID: "o-abc123def4", PrincipalType: "identity-center", Name: "alice@example.com",
	},
	SourceIdentity: "alice@example.com", PolicyHash: "sha256:abcd", PolicyVersion: 1, TVMVersion: "v1.2.3", RequestID: "req-1",
}

func TestWhoami(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathWhoami, tvmtest.JSON(200, answer))
	if err := e.Run(t, NewCmdWhoami(e.F, nil)); err != nil {
		t.Fatal(err)
	}
	out := e.Out.String()
	for _, want := range []string{"Caller:", answer.Caller.ARN, "Source identity:", "alice@example.com", "o-abc123def4",
		"sha256:abcd (version 1)", "v1.2.3", e.TVM.URL, "req-1", "identity-center"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestWhoamiJSON(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathWhoami, tvmtest.JSON(200, answer))
	if err := e.Run(t, NewCmdWhoami(e.F, nil), "--json"); err != nil {
		t.Fatal(err)
	}
	var got wire.Whoami
	if err := json.Unmarshal([]byte(e.Out.String()), &got); err != nil {
		t.Fatal(err)
	}
	if got != answer {
		t.Errorf("got %+v", got)
	}
}

func TestWhoamiArgs(t *testing.T) {
	e := cmdtest.New(t)
	err := e.Run(t, NewCmdWhoami(e.F, nil), "extra")
	if status.Code(err) != status.Usage {
		t.Errorf("got %v", err)
	}
}

func TestWhoamiDebugLog(t *testing.T) {
	e := cmdtest.New(t)
	e.F.Flags.Debug = true
	e.TVM.Handle(wire.PathWhoami, tvmtest.JSON(200, answer))
	if err := e.Run(t, NewCmdWhoami(e.F, nil)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.ErrOut.String(), `"request_id":"req-whoami"`) || !strings.Contains(e.ErrOut.String(), `"status":200`) {
		t.Errorf("debug log: %s", e.ErrOut)
	}
	e.AssertNoSecrets(t)
}
