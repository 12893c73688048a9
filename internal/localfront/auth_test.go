package localfront

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const validSig = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    authHeader
		wantErr bool
	}{
		{
			name: "sdk form",
			in:   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + validSig,
			want: authHeader{AccessKeyID: "AKIDEXAMPLE", Date: "20150830", Region: "us-east-1", Service: "lambda",
				SignedHeaders: []string{"host", "x-amz-date"}, Signature: validSig},
		},
		{
			name: "no spaces, other order",
			in:   "AWS4-HMAC-SHA256 Signature=" + validSig + ",SignedHeaders=host,Credential=AKID/20150830/eu-west-1/execute-api/aws4_request",
			want: authHeader{AccessKeyID: "AKID", Date: "20150830", Region: "eu-west-1", Service: "execute-api",
				SignedHeaders: []string{"host"}, Signature: validSig},
		},
		{name: "empty", in: "", wantErr: true},
		{name: "other algorithm", in: "AWS4-ECDSA-P256-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=" + validSig, wantErr: true},
		{name: "basic auth", in: "Basic dXNlcjpwYXNz", wantErr: true},
		{name: "missing signature", in: "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host", wantErr: true},
		{name: "missing credential", in: "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + validSig, wantErr: true},
		{name: "missing signed headers", in: "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Signature=" + validSig, wantErr: true},
		{name: "duplicate credential", in: "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Credential=B/20150830/r/s/aws4_request, SignedHeaders=host, Signature=" + validSig, wantErr: true},
		{name: "credential with 4 parts", in: "AWS4-HMAC-SHA256 Credential=A/20150830/r/aws4_request, SignedHeaders=host, Signature=" + validSig, wantErr: true},
		{name: "credential wrong terminal", in: "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws5_request, SignedHeaders=host, Signature=" + validSig, wantErr: true},
		{name: "credential empty key", in: "AWS4-HMAC-SHA256 Credential=/20150830/r/s/aws4_request, SignedHeaders=host, Signature=" + validSig, wantErr: true},
		{name: "credential bad date", in: "AWS4-HMAC-SHA256 Credential=A/2015-08-30/r/s/aws4_request, SignedHeaders=host, Signature=" + validSig, wantErr: true},
		{name: "signed headers upper case", in: "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=Host, Signature=" + validSig, wantErr: true},
		{name: "signed headers empty name", in: "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host;;x, Signature=" + validSig, wantErr: true},
		{name: "signed headers duplicate", in: "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host;host, Signature=" + validSig, wantErr: true},
		{name: "short signature", in: "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=abc", wantErr: true},
		{name: "upper-case signature", in: "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=" + strings.ToUpper(validSig), wantErr: true},
		{name: "unknown component", in: "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=" + validSig + ", Extra=1", wantErr: true},
		{name: "component without equals", in: "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=" + validSig + ", junk", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAuthorization(tc.in)
			if tc.wantErr {
				if !errors.Is(err, errMalformedAuth) {
					t.Fatalf("err = %v, want errMalformedAuth", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + validSig)
	f.Add("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request,SignedHeaders=content-length;host;x-amz-date;x-amz-security-token,Signature=" + validSig)
	f.Add("AWS4-HMAC-SHA256 ")
	f.Add("AWS4-HMAC-SHA256 Credential=,,,=")
	f.Add("Basic x")
	f.Fuzz(func(t *testing.T, in string) {
		a, err := parseAuthorization(in)
		if err != nil {
			if !errors.Is(err, errMalformedAuth) {
				t.Fatalf("error not wrapping errMalformedAuth: %v", err)
			}
			// Errors must not echo the header: it may carry a secret by mistake.
			if len(in) > 40 && strings.Contains(err.Error(), in) {
				t.Fatalf("error echoes the header")
			}
			return
		}
		if a.AccessKeyID == "" || a.Region == "" || a.Service == "" || len(a.Date) != 8 ||
			len(a.Signature) != 64 || len(a.SignedHeaders) == 0 {
			t.Fatalf("accepted an incomplete header: %+v", a)
		}
		// The canonical form parses back to the same value.
		again, err := parseAuthorization(a.String())
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", a.String(), err)
		}
		if !reflect.DeepEqual(a, again) {
			t.Fatalf("round trip: %+v != %+v", a, again)
		}
	})
}
