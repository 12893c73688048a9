// Package build holds the version information that the release build stamps into the
// vend binary with -ldflags "-X github.com/vend-tvm/vend/cli/internal/build.Version=...".
package build
