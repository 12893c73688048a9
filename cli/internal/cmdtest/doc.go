// Package cmdtest builds a factory for command tests: buffered streams, a controlled
// environment, base credentials that a fake TVM (tvmtest) verifies, and a private
// configuration file and cache directory.
package cmdtest
