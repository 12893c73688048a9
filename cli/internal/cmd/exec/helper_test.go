//go:build unix

package exec

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the child command: with VEND_TEST_HELPER set it acts out a
// scenario instead of running tests.
const helperVar = "VEND_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperVar); mode != "" {
		os.Exit(helper(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func helper(mode string, args []string) int {
	switch mode {
	case "env":
		env := os.Environ()
		sort.Strings(env)
		for _, kv := range env {
			fmt.Println(kv)
		}
		return 0
	case "files":
		// Print the AWS files the child would read, as the SDKs locate them.
		for _, name := range []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CREDENTIAL_PROFILES_FILE", "BOTO_CONFIG"} {
			path := os.Getenv(name)
			if path == "" {
				continue
			}
			b, err := os.ReadFile(path)
			if err != nil {
				fmt.Fprintln(os.Stderr, "read", name, err)
				return 13
			}
			fmt.Printf("== %s %s\n%s", name, path, b)
		}
		return 0
	case "exit":
		n, _ := strconv.Atoi(args[0])
		return n
	case "marker":
		_ = os.WriteFile(args[0], []byte("started"), 0o600)
		return 0
	case "kill-self":
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		time.Sleep(5 * time.Second)
		return 0
	case "fetch":
		token := os.Getenv(EnvToken)
		if path := os.Getenv(EnvTokenFile); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				fmt.Fprintln(os.Stderr, "read token file:", err)
				return 10
			}
			token = string(b)
		}
		req, _ := http.NewRequest(http.MethodGet, os.Getenv(EnvFullURI), nil)
		req.Header.Set("Authorization", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fetch:", err)
			return 11
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var c struct{ AccessKeyId, Expiration string }
		if resp.StatusCode != 200 || json.Unmarshal(body, &c) != nil {
			fmt.Fprintln(os.Stderr, "status", resp.StatusCode)
			return 12
		}
		fmt.Printf("AccessKeyId=%s\nExpiration=%s\n", c.AccessKeyId, c.Expiration)
		return 0
	case "trap":
		sigs := make(chan os.Signal, 4)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1)
		fmt.Println("ready")
		timeout := time.After(10 * time.Second)
		for {
			select {
			case s := <-sigs:
				switch s {
				case syscall.SIGINT:
					return 43
				case syscall.SIGUSR1:
					fmt.Println("usr1")
				case syscall.SIGTERM:
					return 42
				}
			case <-timeout:
				return 99
			}
		}
	}
	fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
	return 100
}
