"""Sign a request with botocore's SigV4Auth and send it; print status and body.

Used by TestBotocoreSignedRequests to check that the front accepts signatures from
a second, independent SigV4 implementation. Credentials come from the environment
so that they never appear on a command line.
"""
import os
import sys
import urllib.error
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials

method, url, service, region = sys.argv[1:5]
body = sys.argv[5].encode() if len(sys.argv) > 5 else None
creds = botocore.credentials.Credentials(
    os.environ["URLFRONT_AK"], os.environ["URLFRONT_SK"], os.environ.get("URLFRONT_TOKEN") or None
)
req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body)
botocore.auth.SigV4Auth(creds, service, region).add_auth(req)
prepared = req.prepare()
out = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method=method)
try:
    with urllib.request.urlopen(out, timeout=10) as resp:
        print(resp.status)
        print(resp.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)
    print(e.read().decode())
