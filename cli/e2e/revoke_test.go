//go:build e2e

package e2e

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/vend-tvm/vend/cli/internal/status"
	"github.com/vend-tvm/vend/cli/internal/tvmclient"
	"github.com/vend-tvm/vend/internal/revocation"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

// TestRevokeCycle walks request → approve → exec → revoke with the built vend and the
// real AWS CLI: the revocation ends the grant, writes a deny for alice's SourceIdentity
// on sessions issued before it to the role's revocation policy (read back with the AWS
// CLI), raises a revoked event, and a new approval works again.
func TestRevokeCycle(t *testing.T) {
	s := needStack(t)
	needTool(t, "aws", "aws", "--version")
	s.drainEvents(t)

	req := s.approvedRequest(t, "INC-900: the queue is stuck")
	before := time.Now()
	res := s.vend(t, s.alice, nil, "exec", "--no-cache", approvalProfile, "--", "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if res.code != 0 {
		t.Fatalf("exec within the grant: exit %d\n%s", res.code, res.stderr)
	}
	var who wire.Whoami
	if res := s.vend(t, s.alice, nil, "whoami", "-o", "json"); res.code != 0 || json.Unmarshal([]byte(res.stdout), &who) != nil {
		t.Fatalf("whoami: exit %d\n%s", res.code, res.stderr)
	}

	if res := s.vend(t, s.mallory, nil, "revoke", "--caller", s.alice.ARN); res.code != status.Denied || !strings.Contains(res.stderr, "not_a_revoker") {
		t.Errorf("mallory revoking alice: exit %d\n%s", res.code, res.stderr)
	}
	res = s.vend(t, s.bob, nil, "revoke", "--request", req.ID, "--comment", "INC-900 closed", "-o", "json")
	var rv wire.Revocation
	if err := json.Unmarshal([]byte(res.stdout), &rv); res.code != 0 || err != nil {
		t.Fatalf("bob revokes: exit %d, %v\nstdout: %s\nstderr: %s", res.code, err, res.stdout, res.stderr)
	}
	if rv.SourceIdentity != who.SourceIdentity || len(rv.Roles) != 1 || !rv.Roles[0].Done || !rv.Before.After(before) ||
		rv.Roles[0].PolicyARN != "arn:aws:iam::123456789012:policy/vend-revocation/demo-admin" || len(rv.Requests) != 1 || rv.Requests[0].Status != wire.StatusRevoked {
		t.Fatalf("revocation %+v", rv)
	}

	// What IAM holds now, as the AWS CLI reads it: a deny of alice's sessions issued
	// before the cutoff, which the session she just used was.
	doc := s.defaultPolicyDocument(t, rv.Roles[0].PolicyARN)
	_, entries, err := revocation.Parse(doc)
	if err != nil || len(entries) != 1 || entries[0].SourceIdentity != who.SourceIdentity || !entries[0].Before.Equal(rv.Before) {
		t.Fatalf("the revocation policy holds %+v (%v)\n%s", entries, err, doc)
	}

	res = s.vend(t, s.alice, nil, "exec", "--no-cache", approvalProfile, "--", "sh", "-c", "echo started")
	if res.code != status.Denied || strings.Contains(res.stdout, "started") || !strings.Contains(res.stderr, "vend request") {
		t.Errorf("exec after revocation: exit %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
	}
	if got := s.requestAs(t, s.alice, req.ID); got.Status != wire.StatusRevoked {
		t.Errorf("alice sees her request %s", got.Status)
	}

	var revoked []wire.Event
	for _, e := range s.drainEvents(t) {
		if e.Type == wire.EventRevoked {
			revoked = append(revoked, e)
		}
	}
	if len(revoked) != 1 || revoked[0].By != s.bob.ARN || revoked[0].Caller.ARN != s.alice.ARN || revoked[0].AccessRequestID != req.ID ||
		revoked[0].SourceIdentity != who.SourceIdentity || !revoked[0].RevokedBefore.Equal(rv.Before) || revoked[0].Reason != "INC-900 closed" {
		t.Errorf("revoked events %+v", revoked)
	}
	if !strings.Contains(s.decisions.String(), `"revoked_caller_arn":"`+s.alice.ARN+`"`) {
		t.Error("no decision line names the revoked caller")
	}

	// Later sessions, after a new approval, work again: they are issued after the cutoff.
	time.Sleep(time.Until(rv.Before.Add(time.Second)))
	s.approvedRequest(t, "INC-901")
	res = s.vend(t, s.alice, nil, "exec", "--no-cache", approvalProfile, "--", "sh", "-c", "echo started")
	if res.code != 0 || !strings.Contains(res.stdout, "started") {
		t.Errorf("exec after a new approval: exit %d\n%s", res.code, res.stderr)
	}
	s.vend(t, s.bob, nil, "revoke", "--caller", s.alice.ARN, "--profile", approvalProfile)
	s.drainEvents(t)
}

// approvedRequest files alice's request for the approval profile and has bob approve it.
func (s *stack) approvedRequest(t *testing.T, reason string) wire.AccessRequest {
	t.Helper()
	req := s.pendingRequest(t, reason)
	if res := s.vend(t, s.bob, nil, "approve", req.ID); res.code != 0 {
		t.Fatalf("bob approves: exit %d\n%s", res.code, res.stderr)
	}
	return req
}

// defaultPolicyDocument reads a managed policy's default version with the AWS CLI.
func (s *stack) defaultPolicyDocument(t *testing.T, arn string) []byte {
	t.Helper()
	env := s.baseEnv(s.bob)
	res := s.run(t, env, "aws", "iam", "get-policy", "--policy-arn", arn, "--query", "Policy.DefaultVersionId", "--output", "text")
	if res.code != 0 {
		t.Fatalf("aws iam get-policy: exit %d\n%s", res.code, res.stderr)
	}
	res = s.run(t, env, "aws", "iam", "get-policy-version", "--policy-arn", arn, "--version-id", strings.TrimSpace(res.stdout),
		"--query", "PolicyVersion.Document", "--output", "json")
	if res.code != 0 {
		t.Fatalf("aws iam get-policy-version: exit %d\n%s", res.code, res.stderr)
	}
	return []byte(res.stdout)
}

// TestStateDown: with the state table unreachable, what needs it is refused with
// state_unavailable (503) and says to retry, plain vends included (the shared rate limit
// fails closed by default), and nothing is vended.
func TestStateDown(t *testing.T) {
	s := needStack(t)
	url, stop, err := s.front(unreachableDynamoDB(), &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(t.Context()) })
	env := []string{"VEND_REMOTE_SERVER=" + url}
	for _, tc := range []struct {
		who  user
		args []string
	}{
		{s.alice, []string{"exec", "--no-cache", allowedProfile, "--", "sh", "-c", "echo started"}},
		{s.alice, []string{"exec", "--no-cache", approvalProfile, "--", "sh", "-c", "echo started"}},
		{s.alice, []string{"request", approvalProfile, "--reason", "x"}},
		{s.bob, []string{"requests"}},
		{s.bob, []string{"approve", "req-abcdefghijklmnopqrstuvwxyz"}},
		{s.bob, []string{"revoke", "--caller", s.alice.ARN}},
	} {
		res := s.vend(t, tc.who, env, tc.args...)
		if res.code == 0 || strings.Contains(res.stdout, "started") || !strings.Contains(res.stderr, "state_unavailable") {
			t.Errorf("vend %v with the table down: exit %d\nstdout: %s\nstderr: %s", tc.args, res.code, res.stdout, res.stderr)
		}
	}
}

// unreachableDynamoDB is a client of a port nothing listens on, that gives up at once.
func unreachableDynamoDB() *dynamodb.Client {
	return dynamodb.NewFromConfig(aws.Config{
		Region: region, Credentials: credentials.NewStaticCredentialsProvider("AKIAE2ETVMROLE000000", "unused", ""),
		BaseEndpoint: aws.String("http://127.0.0.1:1"), RetryMaxAttempts: 1,
	})
}

// TestApproveRacesRevoke runs the approval of a request and its revocation at once, as
// two vend processes: whichever wins, the request ends revoked and alice cannot vend.
func TestApproveRacesRevoke(t *testing.T) {
	s := needStack(t)
	req := s.pendingRequest(t, "race")
	var wg sync.WaitGroup
	var revoke result
	wg.Go(func() { s.vend(t, s.bob, nil, "approve", req.ID) })
	wg.Go(func() { revoke = s.vend(t, s.bob, nil, "revoke", "--request", req.ID) })
	wg.Wait()
	if revoke.code != 0 {
		t.Errorf("revoke: exit %d\n%s", revoke.code, revoke.stderr)
	}
	if got := s.requestAs(t, s.alice, req.ID); got.Status != wire.StatusRevoked {
		t.Errorf("after the race the request is %s", got.Status)
	}
	if res := s.vend(t, s.alice, nil, "exec", "--no-cache", approvalProfile, "--", "true"); res.code != status.Denied {
		t.Errorf("after the race alice vends: exit %d\n%s", res.code, res.stderr)
	}
	s.drainEvents(t)
}

// TestTwoInstancesShareOneRateLimit runs two TVMs on one state table, as two Lambda
// containers are, each allowing a burst of 2 per caller: together they let alice through
// twice in a second, not four times.
func TestTwoInstancesShareOneRateLimit(t *testing.T) {
	s := needStack(t)
	var urls []string
	for range 2 {
		url, stop, err := s.front(dynamodb.NewFromConfig(s.awsConfig()), &strings.Builder{}, tvm.WithRateLimit(0.001, 2))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = stop(t.Context()) })
		urls = append(urls, url)
	}
	creds := credentials.NewStaticCredentialsProvider(s.alice.AccessKeyID, s.alice.SecretAccessKey, "")
	// The shared limit counts per caller and second in the table: start in a second of
	// its own, clear of alice's calls in earlier tests.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 50*time.Millisecond)))
	allowed, limited := 0, 0
	for i := range 4 {
		c, err := tvmclient.New(urls[i%2], creds, tvmclient.WithMaxAttempts(1), tvmclient.WithDefaultRegion(region))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Whoami(t.Context())
		var wireErr *wire.Error
		switch {
		case err == nil:
			allowed++
		case errors.As(err, &wireErr) && wireErr.Code == wire.CodeRateLimited:
			limited++
		default:
			t.Fatalf("whoami %d: %v", i, err)
		}
	}
	if allowed != 2 || limited != 2 {
		t.Errorf("two instances let %d calls through and limited %d; want one shared burst of 2", allowed, limited)
	}
}
