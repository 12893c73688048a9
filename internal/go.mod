module github.com/vend-tvm/vend/internal

go 1.26.8
