package project

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/vend-tvm/vend/internal/testkit"
)

func (r *Runner) startMoto(ctx context.Context, s *LocalState) error {
	if s.Moto != nil && s.Moto.Alive() {
		if err := WaitHTTP(ctx, *s.Moto, s.Moto.URL+"/moto-api/", 5*time.Second); err == nil {
			fmt.Fprintf(r.Stdout, "    reusing moto_server at %s (pid %d)\n", s.Moto.URL, s.Moto.PID)
			return nil
		}
		_ = s.Moto.Stop(5 * time.Second)
	}
	// A new moto_server is empty: Terraform state from an older one describes nothing.
	for _, f := range []string{r.localTFState(), r.organizationTFState(), r.organizationVars()} {
		_ = os.RemoveAll(f)
	}
	port, err := FreePort()
	if err != nil {
		return err
	}
	p, err := StartBackground("moto_server", testkit.MotoArgs(port),
		os.Environ(), r.Root, r.path(filepath.Join(StateDir, "logs", "moto.log")))
	if err != nil {
		return err
	}
	p.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
	s.Moto = &p
	if err := r.saveState(*s); err != nil {
		return err
	}
	return WaitHTTP(ctx, p, p.URL+"/moto-api/", 60*time.Second)
}

func (r *Runner) startRIE(ctx context.Context, s *LocalState, rie string, out LocalOutputs) error {
	if s.RIE != nil {
		_ = s.RIE.Stop(5 * time.Second)
		s.RIE = nil
	}
	ports := make([]int, 2)
	for i := range ports {
		p, err := FreePort()
		if err != nil {
			return err
		}
		ports[i] = p
	}
	// A session of the TVM's execution role in the security account, as Lambda gives
	// the function: everything the TVM does acts there, and its AssumeRole reaches the
	// workload accounts.
	session, err := r.sessionEnv(ctx, s.Moto.URL, out.Region, out.TVMRoleARN, out.FunctionName)
	if err != nil {
		return err
	}
	env := append([]string{"PATH=" + os.Getenv("PATH"), "AWS_LAMBDA_FUNCTION_NAME=" + out.FunctionName}, session...)
	keys := make([]string, 0, len(out.Environment))
	for k := range out.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+out.Environment[k])
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	args := []string{rie, "--runtime-interface-emulator-address", addr,
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", ports[1]), r.BootstrapPath(runtime.GOARCH)}
	p, err := StartBackground("aws-lambda-rie", args, env, r.Root, r.path(filepath.Join(StateDir, "logs", "tvm.log")))
	if err != nil {
		return err
	}
	p.URL = "http://" + addr
	s.RIE = &p
	if err := r.saveState(*s); err != nil {
		return err
	}
	return WaitHTTP(ctx, p, p.URL+"/", 30*time.Second)
}

type frontIdentity struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	ARN             string `json:"arn"`
	AccountID       string `json:"accountId"`
}

func (r *Runner) startFront(ctx context.Context, s *LocalState, out LocalOutputs) error {
	addr := "127.0.0.1:0"
	if s.Front != nil {
		_ = s.Front.Stop(5 * time.Second)
		// The same port again, when it is free, so that shells that sourced
		// .vend/local.env keep their VEND_REMOTE_SERVER across deploys.
		if prev := reusableAddr(s.Front.URL); prev != "" {
			addr = prev
		}
		s.Front = nil
	}
	var ids []frontIdentity
	for _, k := range []string{"allowed", "denied", "approver"} {
		d := out.DemoIdentities[k]
		ids = append(ids, frontIdentity{AccessKeyID: d.AccessKeyID, SecretAccessKey: d.SecretAccessKey, ARN: d.ARN, AccountID: out.CallerAccountID})
	}
	data, err := json.MarshalIndent(ids, "", "  ")
	if err != nil {
		return err
	}
	idFile := r.path(filepath.Join(StateDir, "identities.json"))
	if err := writePrivate(idFile, data); err != nil {
		return err
	}
	urlFile := r.path(filepath.Join(StateDir, "front.url"))
	_ = os.Remove(urlFile)
	args := []string{r.LocalFrontPath(), "--invoke-url", s.RIE.URL, "--identities", idFile,
		"--region", out.Region, "--account-id", out.AccountID, "--url-file", urlFile, "--addr", addr}
	p, err := StartBackground("localfront", args, os.Environ(), r.Root, r.path(filepath.Join(StateDir, "logs", "front.log")))
	if err != nil {
		return err
	}
	s.Front = &p
	if err := r.saveState(*s); err != nil {
		return err
	}
	url, err := WaitFile(ctx, p, urlFile, 30*time.Second)
	if err != nil {
		return err
	}
	s.Front.URL = strings.TrimSuffix(url, "/")
	return r.saveState(*s)
}

// reusableAddr is the loopback host:port of an earlier front's URL when nothing listens
// there now, else "".
func reusableAddr(url string) string {
	hostport := strings.TrimPrefix(strings.TrimPrefix(url, "http://"), "https://")
	if host, _, err := net.SplitHostPort(hostport); err != nil || host != "127.0.0.1" {
		return ""
	}
	l, err := net.Listen("tcp", hostport)
	if err != nil {
		return ""
	}
	_ = l.Close()
	return hostport
}
