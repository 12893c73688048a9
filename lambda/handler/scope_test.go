package handler

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/vend-tvm/vend/internal/sessionpolicy"
	"github.com/vend-tvm/vend/lambda/policystore"
	"github.com/vend-tvm/vend/lambda/tvm"
	"github.com/vend-tvm/vend/lambda/wire"
)

// scopePolicy gives the test event's caller (an Identity Center engineer) a broad
// profile that needs a scope, one carrying its own session policies, and one without.
const scopePolicy = `version: 1
profiles:
  data:
    role_arn: arn:aws:iam::111111111111:role/vend/data
  data-free:
    role_arn: arn:aws:iam::111111111111:role/vend/data
  reports:
    role_arn: arn:aws:iam::111111111111:role/vend/data
    session_policy: {Version: "2012-10-17", Statement: {Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::reports/*"}}
    session_policy_arns: [arn:aws:iam::aws:policy/ReadOnlyAccess]
rules:
  - name: agents-scoped
    effect: allow
    principals: ["arn:aws:sts::*:assumed-role/AWSReservedSSO_Engineer_*/*"]
    profiles: [data]
    require_scope: true
  - name: engineers
    effect: allow
    principals: ["arn:aws:sts::*:assumed-role/AWSReservedSSO_Engineer_*/*"]
    profiles: [data-free, reports]
`

// agentScope is what an agent may do: read one prefix. Its statement text must never
// reach the log.
const agentScope = `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyThePrefixAgentsMayRead","Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::reports/agents/*"]}]}`

func scopeRequest(t *testing.T, hs *harness, q url.Values) (response, wire.Error, map[string]any) {
	t.Helper()
	ev := loadEvent(t, "function-url-event.json")
	ev.RawQueryString = q.Encode()
	hs.logs.Reset()
	hs.assumer.got = nil
	r := invoke(t, hs.h, marshal(t, ev))
	var e wire.Error
	if r.StatusCode != 200 {
		_ = json.Unmarshal([]byte(r.Body), &e)
	}
	return r, e, decisionLine(t, hs.logs.String())
}

func encodeScope(doc string) string { return base64.RawURLEncoding.EncodeToString([]byte(doc)) }

func TestScopedCredentials(t *testing.T) {
	hs := newHarness(t, policystore.Static(mustPolicy(t, scopePolicy), nil))
	sum := sha256.Sum256([]byte(agentScope))
	hash := hex.EncodeToString(sum[:])

	t.Run("the caller's scope is the session policy", func(t *testing.T) {
		pretty := strings.ReplaceAll(agentScope, ",", ",\n  ")
		r, _, line := scopeRequest(t, hs, url.Values{"profile": {"data"}, "scope": {encodeScope(pretty)},
			"scope_arn": {"arn:aws:iam::111111111111:policy/agents/deny-deletes"}})
		if r.StatusCode != 200 {
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
		in := hs.assumer.got[0]
		if in.Policy != agentScope || !slices.Equal(in.PolicyARNs, []string{"arn:aws:iam::111111111111:policy/agents/deny-deletes"}) {
			t.Errorf("AssumeRole got policy %q and ARNs %v, want the compact scope and its ARN", in.Policy, in.PolicyARNs)
		}
		if !slices.Contains(in.Tags, tvm.Tag{Key: tvm.TagScope, Value: hash}) {
			t.Errorf("session tags %v lack %s=%s", in.Tags, tvm.TagScope, hash)
		}
		var creds wire.Credentials
		_ = json.Unmarshal([]byte(r.Body), &creds)
		if creds.ScopeSHA256 != hash {
			t.Errorf("answer's ScopeSha256 = %q, want %s", creds.ScopeSHA256, hash)
		}
		if line["session_policy"] != "caller" || line["scope_sha256"] != hash || line["scope_arns"] != "arn:aws:iam::111111111111:policy/agents/deny-deletes" {
			t.Errorf("decision line scope fields: %v %v %v", line["session_policy"], line["scope_sha256"], line["scope_arns"])
		}
		if logs := hs.logs.String(); strings.Contains(logs, "OnlyThePrefixAgentsMayRead") || strings.Contains(logs, "reports/agents") {
			t.Errorf("the log holds the scope's text:\n%s", logs)
		}
	})

	t.Run("a rule that requires a scope refuses without one", func(t *testing.T) {
		r, e, line := scopeRequest(t, hs, url.Values{"profile": {"data"}})
		if r.StatusCode != 403 || e.Code != wire.CodeScopeRequired || e.Rule != "agents-scoped" || !strings.Contains(e.Message, "--scope") {
			t.Errorf("got %d %+v, want 403 scope_required naming the rule and --scope", r.StatusCode, e)
		}
		if len(hs.assumer.got) != 0 || line["decision"] != "deny" {
			t.Errorf("refused, yet %d AssumeRole calls; decision %v", len(hs.assumer.got), line["decision"])
		}
	})

	t.Run("a profile's own session policies", func(t *testing.T) {
		r, _, line := scopeRequest(t, hs, url.Values{"profile": {"reports"}})
		if r.StatusCode != 200 {
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
		in := hs.assumer.got[0]
		want := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}}`
		if in.Policy != want || !slices.Equal(in.PolicyARNs, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}) {
			t.Errorf("AssumeRole got %q %v, want the profile's session policies", in.Policy, in.PolicyARNs)
		}
		for _, tag := range in.Tags {
			if tag.Key == tvm.TagScope {
				t.Errorf("a profile's session policy is tagged as a caller's scope: %v", tag)
			}
		}
		if line["session_policy"] != "profile" || line["scope_sha256"] == "" {
			t.Errorf("decision line: session_policy %v scope_sha256 %v", line["session_policy"], line["scope_sha256"])
		}
	})

	t.Run("no scope, no session policy", func(t *testing.T) {
		r, _, line := scopeRequest(t, hs, url.Values{"profile": {"data-free"}})
		if r.StatusCode != 200 || hs.assumer.got[0].Policy != "" || hs.assumer.got[0].PolicyARNs != nil || line["session_policy"] != "" {
			t.Errorf("status %d, AssumeRole %+v, session_policy %v", r.StatusCode, hs.assumer.got, line["session_policy"])
		}
	})

	long := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/` + strings.Repeat("k", 2100) + `"}]}`
	for _, tc := range []struct {
		name string
		q    url.Values
		want string
	}{
		{"a scope on a profile with session policies", url.Values{"profile": {"reports"}, "scope": {encodeScope(agentScope)}}, "carries session policies of its own"},
		{"a managed policy in another account", url.Values{"profile": {"data"}, "scope_arn": {"arn:aws:iam::222222222222:policy/p"}}, "in account 222222222222"},
		{"not base64url", url.Values{"profile": {"data"}, "scope": {agentScope}}, "not base64url"},
		{"padded base64", url.Values{"profile": {"data"}, "scope": {base64.URLEncoding.EncodeToString([]byte(agentScope + " "))}}, "not base64url"},
		{"twice", url.Values{"profile": {"data"}, "scope": {encodeScope(agentScope), encodeScope(agentScope)}}, "more than once"},
		{"a principal", url.Values{"profile": {"data"}, "scope": {encodeScope(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`)}}, "names no principal"},
		{"oversized", url.Values{"profile": {"data"}, "scope": {encodeScope(long)}}, "AWS takes at most 2048"},
		{"not a policy ARN", url.Values{"profile": {"data"}, "scope_arn": {"arn:aws:iam::111111111111:role/admin"}}, "not a managed policy ARN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, e, line := scopeRequest(t, hs, tc.q)
			if r.StatusCode != 400 || e.Code != wire.CodeInvalidScope || !strings.Contains(e.Message, tc.want) {
				t.Errorf("got %d %+v, want 400 invalid_scope saying %q", r.StatusCode, e, tc.want)
			}
			if len(hs.assumer.got) != 0 {
				t.Errorf("refused, yet AssumeRole was called: %+v", hs.assumer.got)
			}
			if strings.Contains(hs.logs.String(), "kkkkkkkk") {
				t.Error("the log holds the refused document")
			}
			_ = line
		})
	}
}

func TestProfilesSayWhatScopesThey(t *testing.T) {
	hs := newHarness(t, policystore.Static(mustPolicy(t, scopePolicy), nil))
	ev := loadEvent(t, "function-url-event.json")
	ev.RawPath, ev.RawQueryString = wire.PathProfiles, ""
	r := invoke(t, hs.h, marshal(t, ev))
	var body wire.Profiles
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil || r.StatusCode != 200 {
		t.Fatalf("status %d: %s", r.StatusCode, r.Body)
	}
	got := map[string]wire.ProfileStatus{}
	for _, p := range body.Profiles {
		got[p.Name] = p
	}
	if p := got["data"]; !p.Allowed || !p.RequiresScope || p.SessionPolicies {
		t.Errorf("data: %+v, want allowed, requiring a scope", p)
	}
	if p := got["reports"]; !p.SessionPolicies || p.RequiresScope {
		t.Errorf("reports: %+v, want its own session policies", p)
	}
	if p := got["data-free"]; p.SessionPolicies || p.RequiresScope {
		t.Errorf("data-free: %+v, want neither", p)
	}
}

// The largest scope AWS takes, beside the longest reason, fits the query limit.
func TestLargestScopeFitsTheQuery(t *testing.T) {
	hs := newHarness(t, policystore.Static(mustPolicy(t, scopePolicy), nil))
	head := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/`
	tail := `"}]}`
	doc := head + strings.Repeat("k", sessionpolicy.MaxChars-len(head)-len(tail)) + tail
	reason := strings.Repeat("é", wire.MaxReasonBytes/2)
	r, _, line := scopeRequest(t, hs, url.Values{"profile": {"data"}, "scope": {encodeScope(doc)}, "reason": {reason}})
	if r.StatusCode != 200 || line["scope_sha256"] == "" {
		t.Fatalf("a %d-character scope with a %d-byte reason: status %d: %s", len(doc), len(reason), r.StatusCode, r.Body)
	}
	if hs.assumer.got[0].Policy != doc {
		t.Error("the scope did not reach AssumeRole unchanged")
	}
}
