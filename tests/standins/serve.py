"""Starts the local AWS stand-ins for macie-invite in one process: moto_server (Organizations, SQS, STS)
and the Macie stand-in (macie.py), each on a free 127.0.0.1 port.

Prints one JSON line, {"moto": URL, "macie": URL}, then serves until SIGTERM/SIGINT, or until its
standard input closes when --exit-with-stdin is given (the tests use that, so that no server outlives them).

--joined ID=METHOD@TIME sets how (CREATED, INVITED) and when a seeded account joined.

--account ID=EMAIL[=STATE[=REQUEST_ID]] creates the organization (the caller, 123456789012, manages it) and adds
an account with that exact ID, in that state, created by that CreateAccount request: the README's local run and
the tests seed the accounts that the sample events name this way (--sample-organization seeds them all).

Accounts answer `State` and `Status` as Organizations documents them (user guide, "Monitor the state of your AWS
accounts"; CloseAccount API reference), where moto marks a closed account SUSPENDED in both: CloseAccount leaves an
account PENDING_CLOSURE in both fields, and POST {moto}/_standin/account-state {"accountId", "state", "status"} sets
either field (null: absent from the answer); {"accountId", "state": "CLOSED"} alone completes a closure (Status
SUSPENDED, as the retired field called a closed account).
"""

import argparse
import datetime
import logging
import json
import signal
import sys
import threading
import time
import urllib.request

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler, make_server
from moto.organizations.models import organizations_backends
from moto.sts.models import sts_backends

import macie

MANAGEMENT_ACCOUNT_ID = "123456789012"

# The accounts that the files in events/ name, as --account specs: --sample-organization seeds them all.
SAMPLE_ACCOUNTS = [
    "555555555555=new-account@example.com",  # create-account-result.json
    "666666666666=payments-prod@example.com",  # controltower-create-managed-account.json
    "777777777777=enrolled-legacy@example.com",  # controltower-update-managed-account.json
    "444455556666=joined@example.com",  # account-joined-organization*.json
    "888888888888=data-science-dev@example.com",  # custom-account-factory.json
    # create-account-call.json and manual-invoke-requests.json name its creation request.
    "999999999999=requested@example.com==car-examplecreateaccountrequestid333",
    "111111111111=team-one@example.com",  # manual-invoke.json
    "222222222222=team-two@example.com",  # manual-invoke.json
    "333333333333=team-three@example.com=CLOSED",  # manual-invoke.json, close-account-*.json
]

# The accounts that the departure samples name (account-departed-organization-*.json, close-account-*.json,
# remove-account-call.json, manual-remove.json): gone from the sample organization, or CLOSED in it.
DEPARTED_SAMPLE_ACCOUNTS = ["121212121212", "131313131313", "141414141414", "151515151515", "333333333333"]

# When the sample accounts joined (--joined specs): 444455556666 by invitation minutes before the time of
# account-joined-organization-unnamed.json, which finds it by that; the others long before.
SAMPLE_JOINS = ["444455556666=INVITED@2026-11-26T11:02:10Z"] + [
    spec.split("=")[0] + "=CREATED@2025-06-01T09:00:00Z" for spec in SAMPLE_ACCOUNTS if not spec.startswith("444455556666=")
]


# The retired Status field that goes with each State (the CloseAccount API reference: a closed account's Status
# was SUSPENDED).
STATUS_OF_STATE = {
    "PENDING_ACTIVATION": "ACTIVE",
    "ACTIVE": "ACTIVE",
    "SUSPENDED": "SUSPENDED",
    "PENDING_CLOSURE": "PENDING_CLOSURE",
    "CLOSED": "SUSPENDED",
}


def set_account_state(account_id, state, status=None):
    """Sets an account's State and Status (None: absent from Organizations' answers)."""
    backend = organizations_backends[MANAGEMENT_ACCOUNT_ID]["aws"]
    account = next(a for a in backend.accounts if a.id == account_id)
    account.state = state
    account.status = status


def close_as_documented(account):
    """CloseAccount as Organizations documents it: asynchronous, the account PENDING_CLOSURE until it closes."""
    from moto.organizations.exceptions import AccountAlreadyClosedException

    if account.state in ("PENDING_CLOSURE", "CLOSED"):
        raise AccountAlreadyClosedException
    account.state = account.status = "PENDING_CLOSURE"


class CountingLatency:
    """Wraps moto's WSGI app: adds a fixed latency to every call, and counts the calls by operation
    (the X-Amz-Target of the JSON protocols), served at GET /_standin/calls."""

    def __init__(self, app):
        self.app = app
        self.latency = 0
        self.calls = {}
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/_standin/account-state":
            body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
            state = body.get("state")
            status = body["status"] if "status" in body else STATUS_OF_STATE.get(state)
            set_account_state(body["accountId"], state, status)
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
            return [b"{}"]
        if environ.get("PATH_INFO") == "/_standin/calls":
            body = json.dumps({"calls": self.calls}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        target = environ.get("HTTP_X_AMZ_TARGET", "").rsplit(".", 1)[-1] or environ.get("PATH_INFO", "")
        with self.lock:
            self.calls[target] = self.calls.get(target, 0) + 1
        if self.latency:
            time.sleep(self.latency)
        return self.app(environ, start_response)


class NoDelayHandler(WSGIRequestHandler):
    """Sends each response at once: without TCP_NODELAY, Nagle's algorithm and the client's delayed
    ACK can hold a response's last write back for up to 40 ms."""

    disable_nagle_algorithm = True


def assumed_role_account(access_key_id):
    """The account of the role that moto's STS handed these credentials for (AssumeRole), if any."""
    for by_partition in list(sts_backends.values()):
        for backend in list(by_partition.values()):
            for role in list(backend.assumed_roles):
                if role.access_key_id == access_key_id:
                    return role.account_id
    return None


def set_joins(joins):
    """Sets how and when accounts joined (ID=METHOD@ISO-TIME), as ListAccounts reports it."""
    backend = organizations_backends[MANAGEMENT_ACCOUNT_ID]["aws"]
    for spec in joins:
        account_id, joined = spec.split("=", 1)
        method, when = joined.split("@", 1)
        account = next(a for a in backend.accounts if a.id == account_id)
        account.joined_method = method
        # moto keeps naive UTC times.
        account.create_time = datetime.datetime.fromisoformat(when.replace("Z", "+00:00")).replace(tzinfo=None)


def seed_accounts(moto_url, accounts):
    client = boto3.client(
        "organizations",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_organization(FeatureSet="ALL")
    backend = organizations_backends[MANAGEMENT_ACCOUNT_ID]["aws"]
    for spec in accounts:
        account_id, email, *rest = spec.split("=")
        client.create_account(Email=email, AccountName=f"account-{account_id}")
        account = next(a for a in backend.accounts if a.email == email)
        # moto draws account IDs at random; the sample events name fixed ones.
        organizations_backends.master_accounts.pop(account.id, None)
        account.id = account_id
        organizations_backends.master_accounts[account_id] = (MANAGEMENT_ACCOUNT_ID, "aws")
        if rest and rest[0]:
            account.state, account.status = rest[0], STATUS_OF_STATE.get(rest[0], rest[0])
        if len(rest) > 1:
            account.create_account_status_id = rest[1]


def seed_bulk(moto_url, count):
    """Adds `count` ACTIVE accounts (700000000000, 700000000001, ...) to the organization at once, in
    moto's backend: moto's CreateAccount also makes an IAM role in each new account, which sets up a
    whole IAM backend per account and takes seconds a hundred; the benchmarks need thousands."""
    import moto.iam
    from moto.organizations.models import FakeAccount

    client = boto3.client("organizations", endpoint_url=moto_url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    try:
        client.create_organization(FeatureSet="ALL")
    except client.exceptions.AlreadyInOrganizationException:
        pass
    backend = organizations_backends[MANAGEMENT_ACCOUNT_ID]["aws"]

    class NoIam:
        def __getitem__(self, key):
            return self

        def create_role(self, **kwargs):
            return None

    real_iam = moto.iam.iam_backends
    moto.iam.iam_backends = NoIam()
    try:
        for n in range(count):
            account = FakeAccount(backend.org, AccountName=f"bench{n}", Email=f"bench{n}@example.com")
            account.id = str(700000000000 + n)
            backend.accounts.append(account)
            organizations_backends.master_accounts[account.id] = (MANAGEMENT_ACCOUNT_ID, "aws")
    finally:
        moto.iam.iam_backends = real_iam


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exit-with-stdin", action="store_true")
    parser.add_argument("--account", action="append", default=[], metavar="ID=EMAIL[=STATE[=REQUEST_ID]]")
    parser.add_argument("--macie-administrator", default=MANAGEMENT_ACCOUNT_ID, metavar="ID",
                        help="the account whose credentials the function signs Macie calls with (default: the management account)")
    parser.add_argument("--joined", action="append", default=[], metavar="ID=METHOD@TIME", help="how and when a seeded account joined")
    parser.add_argument("--sample-organization", action="store_true", help="seed the accounts the sample events name")
    parser.add_argument("--accounts", type=int, default=0, metavar="N", help="create N more accounts (benchmarks)")
    parser.add_argument("--members-in", default="", metavar="REGIONS",
                        help="make every seeded account an Enabled member in these comma-separated regions (benchmarks)")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every call of either stand-in (benchmarks)")
    parser.add_argument("--departed-members", default="", metavar="REGIONS",
                        help="make the accounts the departure samples name Enabled members that the function enrolled "
                             "(its tag) in these comma-separated regions, so that a departure sample shows a removal")
    args = parser.parse_args()
    if args.sample_organization:
        args.account = SAMPLE_ACCOUNTS + args.account
        args.joined = SAMPLE_JOINS + args.joined
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.organizations.models import FakeAccount

    FakeAccount.close = close_as_documented

    moto_app = CountingLatency(DomainDispatcherApplication(create_backend_app))
    moto_server = make_server("127.0.0.1", 0, moto_app, threaded=True, request_handler=NoDelayHandler)
    threading.Thread(target=moto_server.serve_forever, daemon=True).start()
    moto_url = "http://127.0.0.1:%d" % moto_server.server_address[1]
    macie_server = macie.serve(administrator_account_id=args.macie_administrator, caller_of=assumed_role_account)
    macie_url = "http://%s:%d" % macie_server.server_address[:2]
    if args.account:
        seed_accounts(moto_url, args.account)
    if args.accounts:
        seed_bulk(moto_url, args.accounts)
    accounts = args.account + [f"{700000000000 + n}=bench{n}@example.com" for n in range(args.accounts)]
    set_joins(args.joined)
    if args.members_in:
        member_ids = [spec.split("=")[0] for spec in accounts]
        seed = {"regions": args.members_in.split(","), "accountIds": member_ids}
        urllib.request.urlopen(urllib.request.Request(macie_url + "/_standin/members", data=json.dumps(seed).encode(), method="POST"))
    if args.departed_members:
        seed = {"regions": args.departed_members.split(","), "accountIds": DEPARTED_SAMPLE_ACCOUNTS,
                "tags": {"macie-invite:enrolled": "true"}}
        urllib.request.urlopen(urllib.request.Request(macie_url + "/_standin/members", data=json.dumps(seed).encode(), method="POST"))
    # Added after the seeding, which it would only slow down.
    moto_app.latency = args.latency_ms / 1000
    if args.latency_ms:
        urllib.request.urlopen(urllib.request.Request(macie_url + "/_standin/faults", data=json.dumps({"latencyMs": args.latency_ms}).encode(), method="POST"))

    print(json.dumps({"moto": moto_url, "macie": macie_url}), flush=True)

    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    if args.exit_with_stdin:
        threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()


if __name__ == "__main__":
    main()
