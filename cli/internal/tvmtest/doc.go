// Package tvmtest is a fake TVM for tests: an httptest server on 127.0.0.1 that checks
// every request carries a valid SigV4 signature from known base credentials, for an
// expected service and region, and answers with stubbed wire JSON.
package tvmtest
