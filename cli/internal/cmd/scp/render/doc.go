// Package render implements `vend scp render`: fill the guardrail templates with the
// parameters and print or write the minified SCP and RCP documents.
package render
