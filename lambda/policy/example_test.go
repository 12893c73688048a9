package policy_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/vend-tvm/vend/lambda/policy"
)

const examplePolicy = `version: 1
profiles:
  prod-admin:
    role_arn: arn:aws:iam::111111111111:role/vend/prod-admin
    max_duration: 30m
rules:
  - name: oncall-prod
    effect: allow
    principals:
      - arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_OnCall_*/*
    profiles: [prod-admin]
    time_windows:
      - {days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00", timezone: Europe/Berlin}
    reason: On-call engineers may administer production during working hours
`

func ExamplePolicy_Evaluate() {
	p, err := policy.Parse([]byte(examplePolicy))
	if err != nil {
		fmt.Println(err)
		return
	}
	req := policy.Request{
		PrincipalARN: "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_OnCall_0123456789abcdef/alice",
		AccountID:    "111111111111",
		Profile:      "prod-admin",
		Time:         time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC), // Wednesday 10:00 in Berlin
	}
	d := p.Evaluate(req)
	fmt.Println(d.Allowed, d.Rule, d.Profile.MaxDuration)

	req.Time = time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC) // Saturday
	d = p.Evaluate(req)
	fmt.Println(d.Allowed, d.Rule, d.Reason)

	req.Profile = "prod"
	fmt.Println(p.Evaluate(req).UnknownProfile)
	// Output:
	// true oncall-prod 30m0s
	// false default-deny no rule allows this caller to request this profile
	// true
}

func ExamplePolicy_Explain() {
	p, _ := policy.Parse([]byte(examplePolicy))
	results := p.Explain(policy.Request{
		PrincipalARN: "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_OnCall_0123456789abcdef/alice",
		Profile:      "prod-admin",
		Time:         time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC),
	})
	for _, r := range results {
		fmt.Printf("%s (line %d): %s\n", r.Rule, r.Line, r.Detail)
	}
	// Output:
	// oncall-prod (line 7): outside its time windows: it is Sat 10:00 CET in Europe/Berlin
}

func ExampleParse_errors() {
	_, err := policy.Parse([]byte(`version: 1
profiles:
  prod-admin: {role_arn: "arn:aws:iam::111111111111:role/prod-admin"}
rules:
  - name: oncall
    effect: allow
    principals: ["arn:aws:sts::111111111111:assumed-role/OnCall/*"]
    profiles: [prd-admin]
    time_windows:
      - {start: "08:00", end: "18:00", timezone: Europe/Berln}
`))
	fmt.Println(errors.Is(err, policy.ErrInvalid))
	fmt.Println(err)
	// Output:
	// true
	// invalid policy: rules[0].profiles[0]: "prd-admin" matches no profile in this policy (line 8)
	// rules[0].time_windows[0].timezone: unknown time zone "Europe/Berln" (line 10)
}
