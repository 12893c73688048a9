// Package params reads the guardrail parameters the `vend scp` commands share: a JSON
// file with the Terraform variable names and flags that override its values.
package params
