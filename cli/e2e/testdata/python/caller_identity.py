"""Print the caller ARN with boto3's default credential chain.

The end-to-end tests run this under `vend exec`, where the chain finds the container
credentials that vend serves on loopback.
"""
import boto3

print(boto3.client("sts").get_caller_identity()["Arn"])
