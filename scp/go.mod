module github.com/vend-tvm/vend/scp

go 1.26.8
