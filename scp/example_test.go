package scp_test

import (
	"fmt"
	"os"

	"github.com/vend-tvm/vend/scp"
)

func Example() {
	data, err := os.ReadFile("testdata/params.json")
	if err != nil {
		panic(err)
	}
	p, err := scp.ParseParams(data)
	if err != nil {
		panic(err)
	}
	docs, err := scp.RenderAll(p)
	if err != nil {
		panic(err)
	}
	findings := 0
	for _, d := range docs {
		findings += len(scp.Lint(d))
	}
	fmt.Println(len(docs), "documents,", findings, "findings")

	sim, err := scp.NewSimulation(p, scp.ModeEnforce)
	if err != nil {
		panic(err)
	}
	r := sim.Evaluate(scp.Request{
		Principal: "arn:aws:iam::222222222222:role/Admin",
		Action:    "sts:AssumeRole",
		Resource:  "arn:aws:iam::222222222222:role/vend/reader",
	})
	fmt.Println(r.Decision, r.DecidedBy)
	// Output:
	// 7 documents, 0 findings
	// DENY deny-assume-protected-roles-except-tvm/DenyAssumeProtectedRolesExceptTVM
}
