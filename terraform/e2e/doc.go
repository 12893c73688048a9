// Package e2e holds the Terraform tests that need the terraform binary: formatting,
// validation, the modules' mocked `terraform test` suites, and apply tests of every
// example against a local moto_server that assert the created resources through the
// AWS SDK, check that a second plan is empty, and destroy everything.
//
// The tests skip when terraform or moto_server is missing, unless CI=true, where they
// fail. Providers come from the mirror named by VEND_TF_PROVIDER_MIRROR (default
// /opt/tf-plugins when it exists).
package e2e
