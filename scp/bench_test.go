package scp

import "testing"

func BenchmarkRenderAll(b *testing.B) {
	p := exampleParams(b)
	for b.Loop() {
		if _, err := RenderAll(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLint(b *testing.B) {
	docs := renderAll(b, exampleParams(b))
	for b.Loop() {
		for _, d := range docs {
			_ = Lint(d)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	sim, err := NewSimulation(exampleParams(b), ModeEnforce)
	if err != nil {
		b.Fatal(err)
	}
	req := Request{
		Principal: "arn:aws:iam::111111111111:role/vend-tvm/vend-tvm",
		Action:    "sts:AssumeRole",
		Resource:  "arn:aws:iam::222222222222:role/vend/reader",
		Context:   map[string][]string{"sts:SourceIdentity": {"vend-alice"}},
	}
	for b.Loop() {
		if r := sim.Evaluate(req); r.Decision != Allow {
			b.Fatal(r.Reason)
		}
	}
}

func BenchmarkRunMatrix(b *testing.B) {
	p := exampleParams(b)
	for b.Loop() {
		if _, err := RunMatrix(p); err != nil {
			b.Fatal(err)
		}
	}
}
