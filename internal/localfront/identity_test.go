package localfront

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestLoadIdentities(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Identity
		wantErr error // nil with wantFail false means success
		fail    bool
	}{
		{
			name: "two identities, account from ARN",
			in: `[{"accessKeyId":"AKIA1","secretAccessKey":"s3cr3t-one","arn":"arn:aws:iam::111122223333:user/a","userId":"AIDA1","principalOrgId":"o-1"},
			      {"accessKeyId":"ASIA2","secretAccessKey":"s3cr3t-two","sessionToken":"tok-two","arn":"arn:aws:sts::444455556666:assumed-role/r/s","accountId":"444455556666","userId":"AROA2:s"}]`,
			want: []Identity{
				{AccessKeyID: "AKIA1", SecretAccessKey: "s3cr3t-one", ARN: "arn:aws:iam::111122223333:user/a", AccountID: "111122223333", UserID: "AIDA1", PrincipalOrgID: "o-1"},
				{AccessKeyID: "ASIA2", SecretAccessKey: "s3cr3t-two", SessionToken: "tok-two", ARN: "arn:aws:sts::444455556666:assumed-role/r/s", AccountID: "444455556666", UserID: "AROA2:s"},
			},
		},
		{name: "empty array", in: `[]`, want: []Identity{}},
		{name: "unknown field", in: `[{"accessKeyId":"A","secretAccessKey":"s3cr3t-x","arn":"arn:aws:iam::111122223333:user/a","sesionToken":"t"}]`, fail: true},
		{name: "not an array", in: `{"accessKeyId":"A"}`, fail: true},
		{name: "trailing data", in: `[] []`, fail: true},
		{name: "missing secret", in: `[{"accessKeyId":"A","arn":"arn:aws:iam::111122223333:user/a"}]`, wantErr: ErrInvalidIdentity},
		{name: "missing key", in: `[{"secretAccessKey":"s3cr3t-x","arn":"arn:aws:iam::111122223333:user/a"}]`, wantErr: ErrInvalidIdentity},
		{name: "key with slash", in: `[{"accessKeyId":"A/B","secretAccessKey":"s3cr3t-x","arn":"arn:aws:iam::111122223333:user/a"}]`, wantErr: ErrInvalidIdentity},
		{name: "not an ARN", in: `[{"accessKeyId":"A","secretAccessKey":"s3cr3t-x","arn":"alice"}]`, wantErr: ErrInvalidIdentity},
		{name: "no account anywhere", in: `[{"accessKeyId":"A","secretAccessKey":"s3cr3t-x","arn":"arn:aws:iam:::user/a"}]`, wantErr: ErrInvalidIdentity},
		{name: "duplicate key", in: `[{"accessKeyId":"A","secretAccessKey":"s3cr3t-x","arn":"arn:aws:iam::111122223333:user/a"},{"accessKeyId":"A","secretAccessKey":"s3cr3t-y","arn":"arn:aws:iam::111122223333:user/b"}]`, wantErr: ErrDuplicateIdentity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadIdentities(strings.NewReader(tc.in))
			if tc.fail || tc.wantErr != nil {
				if err == nil {
					t.Fatal("LoadIdentities succeeded")
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error holds a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d identities, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("identity %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestIdentityRedaction(t *testing.T) {
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("id", "identity", roleID)
	outputs := map[string]string{
		"%v":  fmt.Sprintf("%v", roleID),
		"%+v": fmt.Sprintf("%+v", roleID),
		"%#v": fmt.Sprintf("%#v", roleID),
		//lint:ignore S1025 the %s verb is what this case checks
		"%s":   fmt.Sprintf("%s", roleID),
		"slog": logs.String(),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, roleID.SecretAccessKey) || strings.Contains(out, roleID.SessionToken) {
				t.Errorf("%s leaks: %s", name, out)
			}
			if !strings.Contains(out, roleID.AccessKeyID) {
				t.Errorf("%s lost the access key id: %s", name, out)
			}
		})
	}
	// JSON keeps the secret on purpose: it is how identity files are written.
	b, err := json.Marshal(roleID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(roleID.SecretAccessKey)) {
		t.Error("JSON lost the secret; LoadIdentities could not read its own output")
	}
}
