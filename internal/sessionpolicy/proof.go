package sessionpolicy

// ProofCase is one call a scoped session makes, and whether AWS allows it.
type ProofCase struct {
	Name     string
	Action   string
	Resource string
	Allowed  bool
}

// ProofSet is a role's identity policy, a scope, and the calls the scoped session
// makes.
type ProofSet struct {
	Role  []byte
	Scope []byte
	Cases []ProofCase
}

// ProofRoleARN is the role the proof's sessions are of.
const ProofRoleARN = "arn:aws:iam::222222222222:role/vend/data"

// Proof is what vend proves about a scope, with its own IAM evaluator (package scp's
// tests, vend policy scope-check) and with an independent one (`go tool mage
// scp:crosscheck`); the end-to-end tests send the same scope through vend exec --scope.
// The role may read and write all of the bucket and list it; the scope, an agent's,
// only reads one prefix: inside the prefix reads are allowed, and everything else the
// role allows is not.
func Proof() ProofSet {
	return ProofSet{
		Role:  []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Reports","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject","s3:ListBucket"],"Resource":["arn:aws:s3:::vend-reports","arn:aws:s3:::vend-reports/*"]}]}`),
		Scope: []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"ReadAgentPrefix","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::vend-reports/agents/*"}]}`),
		Cases: []ProofCase{
			{"read inside the prefix", "s3:GetObject", "arn:aws:s3:::vend-reports/agents/run-1.csv", true},
			{"read outside the prefix", "s3:GetObject", "arn:aws:s3:::vend-reports/finance/q4.csv", false},
			{"write inside the prefix (the role may, the scope may not)", "s3:PutObject", "arn:aws:s3:::vend-reports/agents/run-1.csv", false},
			{"delete inside the prefix", "s3:DeleteObject", "arn:aws:s3:::vend-reports/agents/run-1.csv", false},
			{"list the bucket", "s3:ListBucket", "arn:aws:s3:::vend-reports", false},
			{"outside the role, inside no scope", "iam:CreateUser", "*", false},
		},
	}
}
