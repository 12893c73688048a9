// Package testkit holds what tests (and the build's local stack) across the workspace
// need more than once: starting and stopping moto_server, the local AWS, on a free
// loopback port with its log; free ports; a buffer that concurrent writers may share;
// waiting for a URL or a file; checking a table case's wanted error; and requiring an
// external tool, which skips a test outside CI and fails it under CI=true.
package testkit
