module github.com/vend-tvm/vend/scp

go 1.26.8

require github.com/vend-tvm/vend/internal v0.0.0

replace github.com/vend-tvm/vend/internal => ../internal
