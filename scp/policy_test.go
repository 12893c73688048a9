package scp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseDocument(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    Policy
		wantErr string
	}{
		{
			name: "single statement object and scalar values",
			text: `{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Deny","Action":"sts:AssumeRole","Resource":"*",
				"Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"sts:DurationSeconds":[900, 3600]}}}}`,
			want: Policy{Version: "2012-10-17", Statements: []Statement{{
				Sid: "A", Effect: "Deny", Action: []string{"sts:AssumeRole"}, Resource: []string{"*"},
				Condition: []Clause{
					{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"false"}},
					{Operator: "NumericLessThan", Key: "sts:DurationSeconds", Values: []string{"900", "3600"}},
				},
			}}},
		},
		{
			name: "principal forms",
			text: `{"Version":"2012-10-17","Id":"x","Statement":[{"Effect":"Deny","Principal":"*","NotAction":["s3:*"],"NotResource":[]},
				{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root"]},"Action":"*","Resource":"*"}]}`,
			want: Policy{Version: "2012-10-17", ID: "x", Statements: []Statement{
				{Effect: "Deny", Principal: &Principals{Wildcard: true}, NotAction: []string{"s3:*"}, NotResource: []string{}},
				{Effect: "Allow", Principal: &Principals{Values: map[string][]string{"AWS": {"arn:aws:iam::111111111111:root"}}},
					Action: []string{"*"}, Resource: []string{"*"}},
			}},
		},
		{name: "not JSON", text: `{"Version":`, wantErr: "at byte"},
		{name: "trailing data", text: `{"Statement":[]} {}`, wantErr: "after top-level value"},
		{name: "duplicate operator", text: `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*",
			"Condition":{"StringNotLike":{"a":"1"},"StringNotLike":{"b":"2"}}}]}`, wantErr: `duplicate key "StringNotLike"`},
		{name: "duplicate statement key", text: `{"Statement":[{"Effect":"Deny","Effect":"Allow"}]}`, wantErr: "duplicate"},
		{name: "lower-case element", text: `{"Statement":[{"effect":"Deny"}]}`, wantErr: "unknown statement element"},
		{name: "unknown top-level", text: `{"Statement":[],"Versoin":"2012-10-17"}`, wantErr: "unknown top-level"},
		{name: "missing statement", text: `{"Version":"2012-10-17"}`, wantErr: "missing element Statement"},
		{name: "null effect", text: `{"Statement":[{"Effect":null}]}`, wantErr: "want a string"},
		{name: "null action", text: `{"Statement":[{"Action":null}]}`, wantErr: "want a string"},
		{name: "null condition value", text: `{"Statement":[{"Condition":{"Bool":{"k":null}}}]}`, wantErr: "want a string, boolean"},
		{name: "numeric action", text: `{"Statement":[{"Action":[1]}]}`, wantErr: "want a string"},
		{name: "principal other string", text: `{"Statement":[{"Principal":"arn:aws:iam::1:root"}]}`, wantErr: `must be "*"`},
		{name: "statement of strings", text: `{"Statement":["x"]}`, wantErr: "array of objects"},
		{name: "document is an array", text: `[]`, wantErr: "want a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDocument("doc", KindSCP, []byte(tt.text))
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidDocument) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v; want ErrInvalidDocument containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Policy, tt.want) {
				t.Errorf("got  %+v\nwant %+v", d.Policy, tt.want)
			}
			if strings.ContainsAny(string(d.JSON), "\n\t") {
				t.Errorf("JSON not minified: %s", d.JSON)
			}
		})
	}
}

func TestDocumentSizeCountsCharacters(t *testing.T) {
	d, err := ParseDocument("x", KindSCP, []byte(`{"Statement":[{"Sid":"é"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, bytes := d.Size(), len(d.JSON); got != bytes-1 {
		t.Errorf("Size %d for %d bytes with one two-byte character", got, bytes)
	}
}

func FuzzParseDocument(f *testing.F) {
	p := exampleParams(f)
	for _, d := range renderAll(f, p) {
		f.Add(d.JSON)
	}
	f.Add([]byte(`{"Statement":{"Effect":"Deny","NotAction":"x","NotResource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"k":[1,true,"*"]}}}}`))
	f.Add([]byte(`{"Statement":[{"Principal":{"AWS":"*"},"NotPrincipal":"*"}]}`))
	sim, err := NewSimulation(p, ModeEnforce)
	if err != nil {
		f.Fatal(err)
	}
	req := Request{Principal: "arn:aws:iam::222222222222:role/Admin", Action: "sts:AssumeRole",
		Resource: "arn:aws:iam::222222222222:role/vend/x", Context: map[string][]string{"sts:SourceIdentity": {"vend-x"}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDocument("fuzz", KindSCP, data)
		if err != nil {
			return
		}
		// Whatever parses must reparse from its minified form to the same policy, lint
		// without panicking and evaluate without panicking in both policy types.
		again, err := ParseDocument("fuzz", KindSCP, d.JSON)
		if err != nil || !reflect.DeepEqual(again.Policy, d.Policy) {
			t.Fatalf("minified form does not reparse equally: %v", err)
		}
		_ = Lint(d)
		org := sim.Org
		org.SCPs = map[string][]Document{SimulationOU: {d}}
		d.Kind = KindRCP
		_ = Lint(d)
		org.RCPs = map[string][]Document{SimulationRoot: {d}}
		_ = Evaluate(req, org)
	})
}
