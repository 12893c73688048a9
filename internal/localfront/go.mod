module github.com/vend-tvm/vend/internal/localfront

go 1.26.8

require (
	github.com/aws/aws-lambda-go v1.55.1
	github.com/aws/aws-sdk-go-v2 v1.48.0
)

require github.com/aws/smithy-go v1.28.9 // indirect

require github.com/vend-tvm/vend/internal v0.0.0

replace github.com/vend-tvm/vend/internal => ../
