"""Prints a SAM template as CloudFormation deploys it: SAM's transform (samtranslator, which `sam deploy`
runs; it ships with aws-sam-cli), then the conditions and intrinsic functions resolved with the given
parameters (cfn.py), so that what SAM adds (roles, policies, permissions) can be checked.

    python3 deployed.py TEMPLATE '{"Parameter": "value", ...}'

Managed policies that SAM attaches appear by ARN in the roles' ManagedPolicyArns.
"""

import json
import os
import sys

from samtranslator.translator.transform import transform

from cfn import NO_VALUE, Resolver, load

# The AWS managed policies that SAM attaches to the roles it makes, by the names it uses.
MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/service-role/{name}"
    for name in ["AWSLambdaBasicExecutionRole", "AWSLambdaSQSQueueExecutionRole", "AWSLambdaRole", "AWSXRayDaemonWriteAccess"]
}


class Policies:
    def load(self):
        return MANAGED_POLICIES


def main():
    path, parameters = sys.argv[1], json.loads(sys.argv[2])
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template = json.loads(json.dumps(load(path), default=str))
    for resource in template["Resources"].values():
        # SAM wants an S3 location where `sam build` would put the built code.
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/macie-invite.zip"
    deployed = transform(template, {}, Policies())
    resolver = Resolver(deployed, parameters)
    resources = {}
    for name, resource in deployed["Resources"].items():
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        resolved = resolver.resolve(resource)
        if resolved is not NO_VALUE:
            resources[name] = resolved
    print(json.dumps({"Resources": resources}))


if __name__ == "__main__":
    main()
