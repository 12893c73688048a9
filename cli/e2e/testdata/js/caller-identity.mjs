// Prints the caller ARN with the JS SDK v3 default credential chain, which reads the
// container credentials that `vend exec` serves.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";

const client = new STSClient({});
const out = await client.send(new GetCallerIdentityCommand({}));
console.log(out.Arn);
