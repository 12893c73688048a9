package moto

import (
	"context"

	"github.com/vend-tvm/vend/internal/testkit"
)

// Binary is the moto_server executable looked up on PATH.
const Binary = testkit.MotoBinary

// AccountID is the account moto serves by default.
const AccountID = testkit.MotoAccountID

// Server is a running moto_server, started by internal/testkit.
type Server struct{ *testkit.Moto }

// Endpoint is the server's base URL, http://127.0.0.1:PORT.
func (s *Server) Endpoint() string { return s.URL() }

// Option configures Start.
type Option = testkit.MotoOption

// Options of Start, from internal/testkit.
var (
	WithManagedPolicies = testkit.WithManagedPolicies
	WithLog             = testkit.WithLog
	WithReadyTimeout    = testkit.WithReadyTimeout
)

// Start runs moto_server on a free loopback port and waits until it answers. Stop it
// with Stop; cancelling ctx also kills it.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	m, err := testkit.StartMoto(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return &Server{m}, nil
}
