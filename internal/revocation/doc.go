// Package revocation is the document that ends sessions vend already issued: one
// customer-managed policy per protected role, attached to it, whose statements deny
// everything to sessions carrying a revoked caller's SourceIdentity that were issued
// before the revocation (aws:TokenIssueTime), the pattern AWS documents for revoking a
// role's active sessions, narrowed to one caller.
//
// The package renders, parses and prunes that document; it calls no AWS API. The TVM
// keeps the entries in its state table and publishes the rendered document as the
// policy's default version; the guardrails and their tests evaluate the same document.
package revocation
