// Package tfenv is Terraform's environment for vend's tests and deploys: the settings
// that keep it quiet and non-interactive, and the provider mirror (VEND_TF_PROVIDER_MIRROR,
// else the build machine's /opt/tf-plugins) from which it installs the AWS provider
// without downloading.
package tfenv
