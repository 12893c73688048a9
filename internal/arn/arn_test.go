package arn

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    ARN
		wantErr error
	}{
		{in: "arn:aws:iam::111122223333:role/vend/demo", want: ARN{"aws", "iam", "", "111122223333", "role/vend/demo"}},
		{in: "arn:aws-us-gov:sts::111122223333:assumed-role/r/s", want: ARN{"aws-us-gov", "sts", "", "111122223333", "assumed-role/r/s"}},
		{in: "arn:aws:ssm:eu-west-1:111122223333:parameter/vend/policy", want: ARN{"aws", "ssm", "eu-west-1", "111122223333", "parameter/vend/policy"}},
		{in: "arn:aws:lambda:eu-west-1:111122223333:function:tvm:live", want: ARN{"aws", "lambda", "eu-west-1", "111122223333", "function:tvm:live"}},
		{in: "arn:aws:s3:::bucket", want: ARN{"aws", "s3", "", "", "bucket"}},
		{in: "arn:aws:iam::1:role/x", wantErr: ErrAccountID},
		{in: "arn:aws:iam::11112222333x:role/x", wantErr: ErrAccountID},
		{in: "arn:awsx:iam::111122223333:role/x", wantErr: ErrPartition},
		{in: "arn:aws-:iam::111122223333:role/x", wantErr: ErrPartition},
		{in: "arn:AWS:iam::111122223333:role/x", wantErr: ErrPartition},
		{in: "arn:aws::::x", wantErr: ErrService},
		{in: "arn:aws:iam::111122223333:", wantErr: ErrEmptyResource},
		{in: "arn:aws:iam::111122223333", wantErr: ErrNotARN},
		{in: "urn:aws:iam::111122223333:role/x", wantErr: ErrNotARN},
		{in: "", wantErr: ErrNotARN},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (got != tt.want || got.String() != tt.in) {
				t.Errorf("Parse = %+v (%s), want %+v", got, got, tt.want)
			}
		})
	}
}

func TestSplitLeavesAccountAndServiceToTheCaller(t *testing.T) {
	a, err := Split("arn:aws:sts::*:assumed-role/AWSReservedSSO_*/*")
	if err != nil || a.AccountID != "*" {
		t.Errorf("Split = %+v, %v", a, err)
	}
	if _, err := Split("arn:aws::::x"); err != nil {
		t.Errorf("Split refused an empty service: %v", err)
	}
	if _, err := Split("arn:nope:iam::1:role/x"); !errors.Is(err, ErrPartition) {
		t.Errorf("Split accepted a bad partition: %v", err)
	}
}

func TestAccountOfAndWithAccount(t *testing.T) {
	if got := AccountOf("arn:aws:sts::*:assumed-role/x/y"); got != "*" {
		t.Errorf("AccountOf pattern = %q", got)
	}
	if got := AccountOf("not:an:arn"); got != "" {
		t.Errorf("AccountOf = %q", got)
	}
	got, err := WithAccount("arn:aws:iam:::role/Admin", "111122223333")
	if err != nil || got != "arn:aws:iam::111122223333:role/Admin" {
		t.Errorf("WithAccount = %q, %v", got, err)
	}
	if _, err := WithAccount("role/Admin", "1"); !errors.Is(err, ErrNotARN) {
		t.Errorf("WithAccount of a non-ARN: %v", err)
	}
}

func TestValidAccountID(t *testing.T) {
	for s, want := range map[string]bool{"111122223333": true, "000000000000": true, "11112222333": false, "1111222233334": false, "11112222333a": false, "": false, "１１１１２２２２３３３３": false} {
		if got := ValidAccountID(s); got != want {
			t.Errorf("ValidAccountID(%q) = %v", s, got)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("arn:aws:iam::111122223333:role/x")
	f.Add("arn:aws-cn:s3:::b:c")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		if a.String() != s {
			t.Fatalf("String() = %q, want %q", a.String(), s)
		}
		if a.AccountID != "" && !ValidAccountID(a.AccountID) || !ValidPartition(a.Partition) || a.Resource == "" {
			t.Fatalf("Parse accepted %q as %+v", s, a)
		}
	})
}
