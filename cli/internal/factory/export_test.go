package factory

import "github.com/vend-tvm/vend/cli/internal/credcache"

// Nearest is nearest, for the external tests.
var Nearest = nearest

// Notice is Vended.notice, for tests.
func (v *Vended) Notice(n credcache.Notice) { v.notice(n) }
