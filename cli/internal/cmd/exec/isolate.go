package exec

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vend-tvm/vend/cli/internal/awsfiles"
	"github.com/vend-tvm/vend/cli/internal/status"
)

// KeepFilesFlag is the opt-out flag of exec and serve.
const KeepFilesFlag = "keep-aws-files"

// KeepFilesUsage is its help text.
const KeepFilesUsage = "give the command your AWS config and credentials files unchanged; credentials in their default profile then win over vend's (vend only warns)"

// javaOptionVars are the variables a JVM reads options from at start; the AWS SDK for
// Java reads aws.accessKeyId and friends from system properties before any file or the
// container endpoint.
var javaOptionVars = []string{"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"}

var javaCredentialProperties = []string{"-Daws.accessKeyId", "-Daws.secretKey", "-Daws.secretAccessKey", "-Daws.sessionToken",
	"-Daws.webIdentityTokenFile", "-Daws.roleArn"}

// FilesIsolation prepares what a child reads besides its environment: a private copy of
// the AWS files without the default profile's credentials (awsfiles.Isolate), so that
// every SDK resolves vend's endpoint first. set holds the variables that point at the
// copies; cleanup removes them. When vend cannot guarantee that (a file it cannot read or
// copy, Java system properties naming credentials) it returns an error that exits
// status.Unisolated, and says how to opt out. With keep, nothing is copied and vend only
// warns about what would shadow its credentials.
func FilesIsolation(parentEnv []string, keep bool, errOut io.Writer, profile string) (set [][2]string, cleanup func(), err error) {
	getenv := func(k string) string { return lookup(parentEnv, k) }
	if keep {
		warnShadows(errOut, ChildEnv(parentEnv, nil), profile)
		if p := javaProperties(parentEnv); p != "" {
			fmt.Fprintf(errOut, "vend: warning: %s; the AWS SDK for Java uses those before vend's credentials\n", p)
		}
		return nil, func() {}, nil
	}
	if p := javaProperties(parentEnv); p != "" {
		return nil, nil, unisolated(fmt.Errorf("%s, which the AWS SDK for Java uses before vend's credentials", p), profile)
	}
	iso, err := awsfiles.Isolate(getenv, runtimeDir(getenv))
	if err != nil {
		return nil, nil, unisolated(err, profile)
	}
	return iso.Env, func() { _ = iso.Close() }, nil
}

func unisolated(err error, profile string) error {
	return &status.ExitError{Code: status.Unisolated, Err: fmt.Errorf(
		"cannot make sure the command uses %s's credentials: %w\n"+
			"  fix that, or run with --%s to accept that other credentials may win", profile, err, KeepFilesFlag)}
}

// javaProperties names the first Java option variable that sets AWS credentials.
func javaProperties(env []string) string {
	for _, name := range javaOptionVars {
		v := lookup(env, name)
		for _, p := range javaCredentialProperties {
			if strings.Contains(v, p+"=") {
				return fmt.Sprintf("%s sets %s", name, strings.TrimPrefix(p, "-D"))
			}
		}
	}
	return ""
}

// runtimeDir is the per-user runtime folder (tmpfs, private, emptied at logout) when the
// session has one, else "" for the system's temporary folder.
func runtimeDir(getenv func(string) string) string {
	d := getenv("XDG_RUNTIME_DIR")
	if d == "" {
		return ""
	}
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		return ""
	}
	return d
}

// warnShadows warns when the default profile of the child's shared AWS files would win
// over the container credentials: SDKs read those files before the container endpoint.
func warnShadows(errOut io.Writer, env []string, profile string) {
	getenv := func(k string) string { return lookup(env, k) }
	cfgPath, credsPath := awsfiles.Paths(getenv)
	found, _ := awsfiles.DefaultProfileShadows(cfgPath, credsPath)
	if len(found) == 0 {
		return
	}
	var kinds []string
	for _, f := range found {
		kinds = append(kinds, f.String())
	}
	fmt.Fprintf(errOut, "vend: warning: the default profile of your AWS files sets credentials that AWS SDKs use before vend's:\n  %s\n"+
		"vend: with --%s the command may not run as %s\n",
		strings.Join(kinds, "\n  "), KeepFilesFlag, profile)
}
