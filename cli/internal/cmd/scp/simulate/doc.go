// Package simulate implements `vend scp simulate`: run the guardrails' allow and deny
// matrix offline, or decide one request, in a modelled organisation.
package simulate
