#!/usr/bin/env python3
"""macie-invite's two main paths written with boto3, as the public samples write them: the baseline
that bench/run.py measures the Rust function against, in the same run and behind the same Lambda
Runtime API emulator.

- `{"action": "reconcile"}`: the organization's accounts (ListAccounts' paginator), then, region
  after region, its members (ListMembers' paginator); every ACTIVE account that is not a member is
  associated (CreateMember with its email), then invited, 50 to a CreateInvitations call.
- `{"accountIds": [...]}`: each account described (DescribeAccount), then in each region its
  membership read (GetMember), and, where it has none, associated and invited.

One call after another, as AWS's samples and the public Terraform modules do; the same calls as the
function at its minimum, so that only the way they are made differs. It answers with the number of
accounts invited. Run as a Lambda function's process: AWS_LAMBDA_RUNTIME_API, MACIE_REGIONS and the
AWS_ENDPOINT_URL_* variables as bench/run.py sets them.
"""

import json
import os
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

NO_MEMBER = {"ResourceNotFoundException", "ValidationException", "ConflictException"}
REGIONS = [region for region in os.environ["MACIE_REGIONS"].split(",") if region]
CONFIG = Config(retries={"mode": "standard", "max_attempts": 3})
ORGANIZATIONS = boto3.client("organizations", region_name="us-east-1", config=CONFIG)
MACIE = {region: boto3.client("macie2", region_name=region, config=CONFIG) for region in REGIONS}


def invite(macie, accounts):
    """Associates then invites `accounts` (id → email) in one region; the number invited."""
    for account_id, email in accounts.items():
        macie.create_member(account={"accountId": account_id, "email": email})
    ids = list(accounts)
    for start in range(0, len(ids), 50):
        macie.create_invitations(accountIds=ids[start:start + 50], disableEmailNotification=True)
    return len(ids)


def reconcile(own_account):
    accounts = {}
    for page in ORGANIZATIONS.get_paginator("list_accounts").paginate():
        for account in page["Accounts"]:
            if account.get("State", account.get("Status")) == "ACTIVE" and account["Id"] != own_account:
                accounts[account["Id"]] = account["Email"]
    invited = 0
    for region, macie in MACIE.items():
        members = set()
        for page in macie.get_paginator("list_members").paginate(onlyAssociated="false"):
            members.update(member["accountId"] for member in page["members"])
        invited += invite(macie, {i: e for i, e in accounts.items() if i not in members})
    return invited


def invite_named(account_ids):
    accounts = {}
    for account_id in account_ids:
        account = ORGANIZATIONS.describe_account(AccountId=account_id)["Account"]
        if account.get("State", account.get("Status")) == "ACTIVE":
            accounts[account_id] = account["Email"]
    invited = 0
    for macie in MACIE.values():
        new = {}
        for account_id, email in accounts.items():
            try:
                macie.get_member(id=account_id)
            except ClientError as error:
                # Each way Macie says "no member" (terraform-provider-aws's macie2 package reads these).
                if error.response["Error"]["Code"] not in NO_MEMBER:
                    raise
                new[account_id] = email
        invited += invite(macie, new)
    return invited


def handle(event, own_account):
    if event.get("action") == "reconcile":
        return {"invited": reconcile(own_account)}
    return {"invited": invite_named([i for i in event["accountIds"] if i != own_account])}


def main():
    api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
    while True:
        with urllib.request.urlopen(api + "next") as request:
            request_id = request.headers["Lambda-Runtime-Aws-Request-Id"]
            # The administrator, never its own member: the account of the function's ARN.
            own_account = request.headers["Lambda-Runtime-Invoked-Function-Arn"].split(":")[4]
            event = json.load(request)
        try:
            answer, outcome = json.dumps(handle(event, own_account)).encode(), "/response"
        except Exception as error:  # the invocation fails, as the Lambda runtime reports it
            answer, outcome = json.dumps({"errorMessage": str(error)}).encode(), "/error"
        urllib.request.urlopen(urllib.request.Request(api + request_id + outcome, data=answer, method="POST")).read()


if __name__ == "__main__":
    main()
