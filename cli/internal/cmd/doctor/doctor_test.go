package doctor

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vend-tvm/vend/cli/internal/cmdtest"
	"github.com/vend-tvm/vend/cli/internal/config"
	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmtest"
	"github.com/vend-tvm/vend/lambda/wire"
)

func run(t *testing.T, e *cmdtest.Env, args ...string) (Report, error) {
	t.Helper()
	e.TVM.ExpectBadSignatures() // the clock check's unsigned request
	err := e.Run(t, NewCmdDoctor(e.F, nil), append(args, "-o", "json")...)
	var r Report
	if jerr := json.Unmarshal([]byte(e.Out.String()), &r); jerr != nil {
		t.Fatalf("not a report: %v\n%s", jerr, e.Out)
	}
	return r, err
}

func byName(r Report) map[string]Check {
	out := map[string]Check{}
	for _, c := range r.Checks {
		out[c.Name] = c
	}
	return out
}

func TestDoctorAllGood(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathWhoami, tvmtest.JSON(200, wire.Whoami{Caller: wire.Caller{ARN: "arn:aws:iam::111111111111:user/alice"}, TVMVersion: "1.2.3"}))
	r, err := run(t, e)
	if err != nil || !r.OK {
		t.Fatalf("doctor: %v\n%s", err, e.Out)
	}
	c := byName(r)
	for _, name := range []string{"config", "tvm url", "base profile", "base credentials", "signing", "tvm", "clock", "aws files"} {
		if c[name].Status != OK {
			t.Errorf("%s: %+v", name, c[name])
		}
	}
	if !strings.Contains(c["tvm url"].Detail, "environment "+config.EnvRemoteServer) || !strings.Contains(c["tvm"].Detail, "alice") ||
		!strings.Contains(c["base credentials"].Detail, tvmtest.BaseAccessKeyID) || !strings.Contains(c["clock"].Detail, "in step") {
		t.Errorf("report:\n%s", e.Out)
	}
	if strings.Contains(e.Out.String(), tvmtest.BaseSecretAccessKey) {
		t.Fatal("the report holds the base secret")
	}
}

func TestDoctorFailures(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathWhoami, tvmtest.JSON(403, wire.Error{Code: wire.CodeUnauthenticated, Message: "no"}))
	r, err := run(t, e)
	if status.Code(err) != status.Error || r.OK {
		t.Fatalf("a TVM that refuses: %v, report ok %v", err, r.OK)
	}
	if c := byName(r)["tvm"]; c.Status != Fail || !strings.Contains(c.Fix, wire.CodeUnauthenticated) {
		t.Errorf("tvm check %+v", c)
	}

	e = cmdtest.New(t)
	delete(e.Vars, config.EnvRemoteServer)
	r, err = run(t, e)
	if status.Code(err) != status.Error || byName(r)["tvm url"].Status != Fail || !strings.Contains(byName(r)["tvm url"].Fix, "--remote-server") {
		t.Errorf("no URL: %v\n%s", err, e.Out)
	}

	e = cmdtest.New(t)
	e.Vars[config.EnvRemoteServer] = "http://tvm.example.com"
	if r, _ = run(t, e); byName(r)["tvm url"].Status != Fail {
		t.Errorf("plain http to another host: %+v", byName(r)["tvm url"])
	}
}

func TestURLCheck(t *testing.T) {
	for raw, want := range map[string]string{
		"https://abc.lambda-url.eu-west-1.on.aws":              OK,
		"https://abc.lambda-url.eu-west-1.on.aws/":             OK,
		"http://127.0.0.1:8080":                                OK,
		"abc.lambda-url.eu-west-1.on.aws":                      Fail,
		"http://abc.lambda-url.eu-west-1.on.aws":               Fail,
		"ftp://abc":                                            Fail,
		"https://abc.execute-api.eu-west-1.amazonaws.com/prod": Warn,
	} {
		if c := urlCheck(raw, "flag"); c.Status != want || (want != OK) != (c.Fix != "") {
			t.Errorf("%s: %+v, want %s", raw, c, want)
		}
	}
}

func TestClockSkew(t *testing.T) {
	e := cmdtest.New(t)
	e.TVM.Handle(wire.PathWhoami, tvmtest.JSON(200, wire.Whoami{}))
	e.F.Now = func() time.Time { return time.Now().Add(7 * time.Minute) }
	r, err := run(t, e)
	if c := byName(r)["clock"]; status.Code(err) != status.Error || c.Status != Fail || !strings.Contains(c.Detail, "ahead") {
		t.Errorf("a clock 7 minutes fast: %v %+v", err, c)
	}
}

func TestFilesCheck(t *testing.T) {
	e := cmdtest.New(t)
	cmdtest.WriteFile(t, e.Vars["AWS_SHARED_CREDENTIALS_FILE"], "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s3cr3t\n")
	c := filesCheck(func(k string) string { return e.Vars[k] })
	if c.Status != Warn || !strings.Contains(c.Detail, "static keys") || strings.Contains(c.Detail, "s3cr3t") || !strings.Contains(c.Fix, "--base-profile") {
		t.Errorf("%+v", c)
	}
}
