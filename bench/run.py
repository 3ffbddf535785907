#!/usr/bin/env python3
"""Benchmarks macie-invite against the local stand-ins, through a Lambda Runtime API emulator.

    python3 bench/run.py > bench/results.json                         # builds, measures, prints JSON
    python3 bench/run.py --opt-level s > bench/results-opt-s.json     # the same at another opt-level
    python3 bench/run.py --scale > bench/results-scale.json           # a reconcile of 10,000 accounts in 17 regions
    python3 bench/run.py --calls > bench/results-calls.json           # API calls only, in each of Macie's dialects
    python3 bench/run.py --departures                                  # the calls of a reconcile with departures alone (listing with and without tags)
    python3 bench/run.py --organizations                               # the calls under a delegated Macie administrator (Organizations mode)
    python3 bench/run.py --scale --organizations                       # the scale reconcile under a delegated Macie administrator in all 17 regions
    python3 bench/run.py --discovery                                   # the calls a discovery policy adds to a reconcile of 1,000 members in 2 regions
    python3 bench/run.py --latency 30 > bench/results-latency.json    # each case at 30 ms a call against its floor, and the boto3 version
    python3 bench/run.py --rss-regions > bench/results-rss.json       # peak RSS of a 10,000-account reconcile in 1 to 17 regions, and of 1,000 named against the boto3 version
    python3 bench/run.py --binary PATH --latency 30                   # either of the two above, for a binary built already (another commit's)

Measures, for the release build of macie-invite and of bench/echo (an empty lambda_runtime
function, the floor):
  - init: from process start to its first request for the next invocation; and the first
    invocation's latency; the median of COLD_STARTS cold starts each;
  - peak RSS (VmHWM) for one invocation of 1, 50 and 1,000 new accounts;
  - warm invocation latency for 1 and 50 new accounts, the stand-ins adding 20 ms to every call;
  - the API calls each invocation makes, against the minimum;
  - the size of the zipped bootstrap.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLD_STARTS = 21
WARM_RUNS = 11
REGIONS = "us-east-1,eu-west-1"
LATENCY_MS = 20
FIRST_ACCOUNT = 700000000000
ORGANIZATION = 1000  # accounts created besides the management account
# The system's CA bundle file: with SSL_CERT_FILE set, the roots are read from it alone rather than
# from it and every file of /etc/ssl/certs.
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# The boto3 version of the function's two main paths: the baseline, run as the function is.
BOTO3 = ROOT / "bench/boto3/handler.py"


class RuntimeApi:
    """The Lambda Runtime API, enough of it for one function process at a time."""

    def __init__(self):
        self.events = []
        self.lock = threading.Condition()
        self.first_next = None
        self.responses = {}
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm and the
            # peer's delayed ACK would hold the body back for up to 40 ms.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"{}", headers=()):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    return self.reply(404)
                with api.lock:
                    if api.first_next is None:
                        api.first_next = time.perf_counter()
                    api.lock.notify_all()
                    while not api.events:
                        api.lock.wait()
                    request_id, payload = api.events.pop(0)
                    api.responses[request_id] = {"sent": time.perf_counter()}
                deadline = int((time.time() + 300) * 1000)
                self.reply(200, payload, [
                    ("Lambda-Runtime-Aws-Request-Id", request_id),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:macie-invite"),
                    ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0"),
                    ("Content-Type", "application/json"),
                ])

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = self.path.split("/")
                if "invocation" in parts and parts[-1] in ("response", "error"):
                    request_id = parts[-2]
                    with api.lock:
                        api.responses[request_id].update(done=time.perf_counter(), kind=parts[-1], body=body)
                        api.lock.notify_all()
                    return self.reply(202)
                sys.exit(f"the function reported an init error: {body!r}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = "127.0.0.1:%d" % self.server.server_address[1]

    def wait_ready(self, timeout=30):
        with self.lock:
            if not self.lock.wait_for(lambda: self.first_next is not None, timeout):
                raise RuntimeError("the function did not ask for an invocation")
            return self.first_next

    def invoke(self, payload, timeout=120):
        request_id = str(uuid.uuid4())
        with self.lock:
            self.events.append((request_id, json.dumps(payload).encode()))
            self.lock.notify_all()
            if not self.lock.wait_for(lambda: "done" in self.responses.get(request_id, {}), timeout):
                raise RuntimeError("no response")
            response = self.responses.pop(request_id)
        if response["kind"] != "response":
            raise RuntimeError(f"the invocation failed: {response['body']!r}")
        self.last_body_bytes = len(response["body"])
        return response["done"] - response["sent"], json.loads(response["body"])


class Standins:
    def __init__(self, accounts, latency_ms=0, members_in=""):
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests/standins/serve.py"), "--exit-with-stdin",
             "--accounts", str(accounts), "--latency-ms", str(latency_ms), "--members-in", members_in],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.latency_ms = latency_ms
        endpoints = json.loads(self.process.stdout.readline())
        self.moto, self.macie = endpoints["moto"], endpoints["macie"]

    def get(self, url):
        return json.load(urllib.request.urlopen(url))

    def reset_macie(self):
        """Forgets Macie's members and calls; keeps its added latency (a reset clears the faults)."""
        urllib.request.urlopen(urllib.request.Request(self.macie + "/_standin/reset", data=b"{}", method="POST"))
        faults = json.dumps({"latencyMs": self.latency_ms}).encode()
        urllib.request.urlopen(urllib.request.Request(self.macie + "/_standin/faults", data=faults, method="POST"))

    def calls(self):
        macie = {}
        for call in self.get(self.macie + "/_standin/calls")["calls"]:
            macie[call["operation"]] = macie.get(call["operation"], 0) + 1
        return {**self.get(self.moto + "/_standin/calls")["calls"], **macie}

    def stop(self):
        self.process.stdin.close()
        self.process.wait()


def start(binary, standins, extra_env=None, output=subprocess.DEVNULL):
    """Starts the function behind a Runtime API of its own (a killed process's pending request for
    the next invocation must not take another process's event). `binary` is the Rust binary, or
    BOTO3 for the boto3 version."""
    api = RuntimeApi()
    env = {
        "PATH": os.environ["PATH"],
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": "macie-invite",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "WARN",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL_ORGANIZATIONS": standins.moto,
        "AWS_ENDPOINT_URL_MACIE2": standins.macie,
        "AWS_ENDPOINT_URL_SQS": standins.moto,
        "MACIE_REGIONS": REGIONS,
        **(extra_env or {}),
    }
    started = time.perf_counter()
    command = [sys.executable, str(BOTO3)] if binary == BOTO3 else [str(binary)]
    process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
    return api, process, started


def peak_rss_kib(process):
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def cpu_ms(pid):
    """CPU time (user and system) of a process and all its threads, reaped ones included, in ms."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def stop(process):
    process.kill()
    process.wait()


def accounts(n, organization=ORGANIZATION):
    """The n newest accounts of an organization that serve.py made with --accounts organization."""
    return [str(FIRST_ACCOUNT + i) for i in range(organization - n, organization)]


def minimum_calls(n, regions, organization, members=0):
    """The fewest calls that can invite n new accounts in `regions` regions (issue 6): look-ups,
    membership checks, associations and invitations."""
    ceil = lambda a, b: -(-a // b)
    return {
        "look-ups": min(n, ceil(organization, 20)),
        "membership checks": min(n * regions, regions * max(1, ceil(members, 25))),
        "CreateMember": n * regions,
        "CreateInvitations": ceil(n, 50) * regions,
    }


def made_calls(calls):
    return {
        "look-ups": calls.get("DescribeAccount", 0) + calls.get("ListAccounts", 0),
        "membership checks": calls.get("GetMember", 0) + calls.get("ListMembers", 0),
        "CreateMember": calls.get("CreateMember", 0),
        "CreateInvitations": calls.get("CreateInvitations", 0),
    }


def cold_starts(binary, standins, payload, extra_env=None):
    inits, firsts = [], []
    for _ in range(COLD_STARTS):
        standins.reset_macie()
        api, process, started = start(binary, standins, extra_env)
        inits.append(api.wait_ready() - started)
        latency, _ = api.invoke(payload)
        firsts.append(latency)
        stop(process)
    return statistics.median(inits) * 1000, statistics.median(firsts) * 1000


# The scale scenario (issue 15): a reconcile of an organization of 10,000 accounts in 17 regions,
# every account a member already, with 20 ms added to every call.
SCALE_ACCOUNTS = 10_000
SCALE_REGIONS = ",".join([
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
    "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "sa-east-1",
])


def designate(standins, regions):
    """The stand-in's administrator becomes the organization's delegated Macie administrator in `regions`."""
    for region in regions:
        post(standins.macie + "/_standin/account", {"region": region, "delegated": {"autoEnable": False}})


def scale(macie_invite, delegated=False):
    print(f"seeding {SCALE_ACCOUNTS} accounts, members in 17 regions…", file=sys.stderr)
    seeding = time.perf_counter()
    standins = Standins(accounts=SCALE_ACCOUNTS, latency_ms=LATENCY_MS, members_in=SCALE_REGIONS)
    if delegated:
        designate(standins, SCALE_REGIONS.split(","))
    seeded_s = time.perf_counter() - seeding
    print("the reconcile…", file=sys.stderr)
    with tempfile.TemporaryFile() as output:
        # Logs at INFO, the template's default level.
        api, process, _ = start(macie_invite, standins, {"MACIE_REGIONS": SCALE_REGIONS, "AWS_LAMBDA_LOG_LEVEL": "INFO"}, output)
        api.wait_ready()
        latency, summary = api.invoke({"action": "reconcile"}, timeout=900)
        rss = peak_rss_kib(process)
        stop(process)
        output.seek(0)
        lines = output.read().decode().splitlines()
    calls = standins.calls()
    macie_calls = standins.get(standins.macie + "/_standin/calls")["calls"]
    list_members_by_region = {}
    for call in macie_calls:
        if call["operation"] == "ListMembers":
            list_members_by_region[call["region"]] = list_members_by_region.get(call["region"], 0) + 1
    standins.stop()
    members = SCALE_ACCOUNTS  # the management account (the administrator) is no member
    return {
        "accounts_in_organization": summary["reconcile"]["accountsInOrganization"],
        "regions": len(SCALE_REGIONS.split(",")),
        "seeding_s": seeded_s,
        "wall_s": latency,
        "peak_rss_kib": rss,
        "response_bytes": api.last_body_bytes,
        "log_lines": len([line for line in lines if '"level"' in line]),
        "metric_lines": len([line for line in lines if '"_aws"' in line]),
        "delegated_administrator": delegated,
        "calls": {op: calls.get(op, 0) for op in ("ListAccounts", "ListMembers", "GetMember", "DescribeAccount", "CreateMember", "CreateInvitations", "DescribeOrganizationConfiguration")},
        "modes": sorted({tally.get("mode", "") for tally in summary["reconcile"]["regions"]}),
        "list_members_per_region": sorted(set(list_members_by_region.values())),
        "list_members_minimum_per_region": -(-members // 25),
        "list_accounts_minimum": -(-(SCALE_ACCOUNTS + 1) // 20),
        "already_members": sum(counts.get("alreadyMembers", 0) for counts in summary["counts"].values()),
        "invited": sum(counts.get("invited", 0) for counts in summary["counts"].values()),
    }


def region_calls(standins):
    """Macie's calls by region, from the stand-in's log."""
    by_region = {}
    for call in standins.get(standins.macie + "/_standin/calls")["calls"]:
        by_region[call.get("region", "")] = by_region.get(call.get("region", ""), 0) + 1
    return by_region


def timed_case(binary, standins, payload, extra_env):
    """One warm invocation of `payload` by `binary` (the cold one first, on a reset Macie): its wall
    time in seconds, its answer, and Macie's calls by region."""
    api, process, _ = start(binary, standins, extra_env)
    api.wait_ready()
    standins.reset_macie()
    api.invoke({"accountIds": []} if binary == BOTO3 else {"action": "check"}, timeout=600)
    standins.reset_macie()
    wall, answer = api.invoke(payload, timeout=900)
    stop(process)
    return wall, answer, region_calls(standins)


def latency_cases(macie_invite, latency_ms):
    """Each case at `latency_ms` per call against its floor (the busiest region's Macie calls,
    MAX_CALLS_IN_FLIGHT at a time: calls ÷ 10 × latency), and the boto3 version in the same run."""
    cases = []
    new = 300
    standins = Standins(accounts=new, latency_ms=latency_ms)
    for name, payload in ((f"reconcile, {new} new accounts, 2 regions", {"action": "reconcile"}),
                          ("50 new accounts named, 2 regions", {"accountIds": accounts(50, new)})):
        print(f"{name}…", file=sys.stderr)
        wall, answer, calls = timed_case(macie_invite, standins, payload, {"BACKFILL": "true"})
        busiest = max(calls.values())
        floor = busiest / 10 * latency_ms / 1000
        boto3_wall, boto3_answer, _ = timed_case(BOTO3, standins, payload, {})
        cases.append({
            "case": name, "latency_ms": latency_ms, "wall_s": wall,
            "invited": invited(answer), "boto3_invited": boto3_answer["invited"],
            "macie_calls_by_region": calls, "floor_s": floor, "of_floor": wall / floor,
            "boto3_wall_s": boto3_wall, "faster_than_boto3": boto3_wall / wall,
        })
    standins.stop()
    return cases


def rss_by_regions(macie_invite, accounts_in_organization=SCALE_ACCOUNTS, counts=(1, 2, 4, 8, 17)):
    """Peak RSS of a reconcile of the same organization, every account a member already, in more
    and more regions (no added latency: memory does not wait)."""
    rows = []
    for count in counts:
        regions = ",".join(SCALE_REGIONS.split(",")[:count])
        print(f"{count} regions…", file=sys.stderr)
        standins = Standins(accounts=accounts_in_organization, members_in=regions)
        api, process, _ = start(macie_invite, standins, {"MACIE_REGIONS": regions, "AWS_LAMBDA_LOG_LEVEL": "INFO"})
        api.wait_ready()
        wall, summary = api.invoke({"action": "reconcile"}, timeout=900)
        rows.append({"regions": count, "accounts": accounts_in_organization, "peak_rss_kib": peak_rss_kib(process),
                     "wall_s": wall, "already_members": sum(c.get("alreadyMembers", 0) for c in summary["counts"].values())})
        stop(process)
        standins.stop()
    return rows


def rss_thousand(macie_invite):
    """Peak RSS of one invocation inviting 1,000 new accounts (named) in 2 regions, the function's
    and the boto3 version's, in the same run."""
    standins = Standins(accounts=ORGANIZATION)
    peaks = {}
    for name, binary in (("macie_invite", macie_invite), ("boto3", BOTO3)):
        standins.reset_macie()
        api, process, _ = start(binary, standins)
        api.wait_ready()
        _, answer = api.invoke({"accountIds": accounts(1000)}, timeout=900)
        peaks[name] = {"peak_rss_kib": peak_rss_kib(process), "invited": answer["invited"] if name == "boto3" else invited(answer)}
        stop(process)
    standins.stop()
    peaks["boto3_over_macie_invite"] = peaks["boto3"]["peak_rss_kib"] / peaks["macie_invite"]["peak_rss_kib"]
    return peaks


# How GetMember says "no member" (tests/standins/macie.py, NO_MEMBER): each form real Macie gives, and
# the stand-in's default, every form in turn by account ID.
NO_MEMBER_FORMS = ["ResourceNotFoundException", "ValidationException", "ValidationException2", "ConflictException", "rotate"]


def post(url, body):
    urllib.request.urlopen(urllib.request.Request(url, data=json.dumps(body).encode(), method="POST"))


def invited(summary):
    """Account×regions invited, from the summary's counts (its lists are capped)."""
    return sum(counts.get("invited", 0) for counts in summary["counts"].values())


def calls_only(macie_invite):
    """The API calls of an invocation for 1, 50 and 1,000 new accounts in each of the ways Macie says
    "no member", against the minimum; and what the fallbacks cost: a GetMember refusal in words the
    failure policy cannot read (settled from the region's listing), and Macie off in one region."""
    standins = Standins(accounts=ORGANIZATION)
    regions = len(REGIONS.split(","))

    def run(n, dialect=None, faults=None, extra_env=None):
        standins.reset_macie()
        if dialect:
            post(standins.macie + "/_standin/dialect", dialect)
        if faults:
            post(standins.macie + "/_standin/faults", faults)
        before = standins.calls()
        api, process, _ = start(macie_invite, standins, extra_env)
        api.wait_ready()
        _, summary = api.invoke({"accountIds": accounts(n)})
        stop(process)
        after = standins.calls()
        calls = {op: after.get(op, 0) - before.get(op, 0) for op in after if after.get(op, 0) != before.get(op, 0)}
        return summary, calls

    results = {"no_member_forms": [], "fallbacks": []}
    for form in NO_MEMBER_FORMS:
        for n in (1, 50, 1000):
            summary, calls = run(n, {"noMember": form})
            made, minimum = made_calls(calls), minimum_calls(n, regions, ORGANIZATION + 1)
            results["no_member_forms"].append({
                "no_member": form, "accounts": n, "invited": invited(summary),
                "made": made, "minimum": minimum, "at_minimum": made == minimum})
    # GetMember refuses in unknown words: one account, settled from each region's listing of 0 members.
    unread = {"rules": [{"operation": "GetMember", "errorType": "ValidationException",
                         "message": "The request failed because the input doesn't satisfy the constraints."}]}
    summary, calls = run(1, faults=unread)
    made, minimum = made_calls(calls), minimum_calls(1, regions, ORGANIZATION + 1)
    results["fallbacks"].append({
        "case": "GetMember refused in words the policy cannot read (1 account, 2 regions, no members yet)",
        "invited": invited(summary), "made": made, "minimum": minimum,
        "extra_calls": {"ListMembers": calls.get("ListMembers", 0)}})
    # Macie off for the administrator in eu-west-1: one failure per account there, no CreateMember.
    standins.reset_macie()
    post(standins.macie + "/_standin/account", {"region": "eu-west-1", "macieStatus": None})
    before = standins.calls()
    api, process, _ = start(macie_invite, standins)
    api.wait_ready()
    _, summary = api.invoke({"accountIds": accounts(1)})
    stop(process)
    after = standins.calls()
    calls = {op: after.get(op, 0) - before.get(op, 0) for op in after if after.get(op, 0) != before.get(op, 0)}
    results["fallbacks"].append({
        "case": "Macie off for the administrator in eu-west-1 (1 account)",
        "invited": invited(summary), "failed": len(summary["failed"]), "calls": calls})
    results["departures"] = departures(macie_invite, standins)
    results["departures_without_listed_tags"] = departures(macie_invite, standins, listing_tags=False)
    standins.stop()
    return results


DEPARTED_ASSOCIATED, DEPARTED_CREATED, OUTSIDERS = 5, 5, 5


def departures(macie_invite, standins, listing_tags=True):
    """The calls of a reconcile that finds departed members (issue 23): every account of the
    organization an Enabled member already, in both regions; 5 members that the function enrolled
    whose accounts left, still Enabled (associated), 5 left while Created (never associated), and 5
    outsiders without the tag. The minimum: the two listings, one DisassociateMember per associated
    departed member, one DeleteMember per departed member, one DescribeOrganizationConfiguration per
    region (its mode, for the tally: issue 36), and nothing else. With `listing_tags`
    False, ListMembers carries no tags (issue 33): one GetMember more per member whose account
    departed (ours and the outsiders), and none for the members whose accounts are still there."""
    standins.reset_macie()
    post(standins.macie + "/_standin/dialect", {"listingTags": listing_tags})
    tag = {"macie-invite:enrolled": "true"}
    departed = [str(600000000000 + i) for i in range(DEPARTED_ASSOCIATED + DEPARTED_CREATED)]
    outsiders = [str(650000000000 + i) for i in range(OUTSIDERS)]
    seeded = 0
    for region in REGIONS.split(","):
        members = [(id, "Enabled", tag) for id in accounts(ORGANIZATION)]
        members += [(id, "Enabled" if i < DEPARTED_ASSOCIATED else "Created", tag) for i, id in enumerate(departed)]
        members += [(id, "Enabled", {}) for id in outsiders]
        for id, status, tags in members:
            post(standins.macie + "/_standin/members", {"region": region, "accountId": id,
                 "email": f"{id}@example.com", "relationshipStatus": status, "tags": tags})
            seeded += 1
    before = standins.calls()
    api, process, _ = start(macie_invite, standins)
    api.wait_ready()
    _, summary = api.invoke({"action": "reconcile"})
    stop(process)
    after = standins.calls()
    calls = {op: after.get(op, 0) - before.get(op, 0) for op in after if after.get(op, 0) != before.get(op, 0)}
    regions = len(REGIONS.split(","))
    members_per_region = seeded // regions
    minimum = {
        "ListAccounts": -(-(ORGANIZATION + 1) // 20),
        "ListMembers": regions * -(-members_per_region // 25),
        "DisassociateMember": regions * DEPARTED_ASSOCIATED,
        "DeleteMember": regions * len(departed),
        # The region's mode, read once for its tally and quota (issue 36).
        "DescribeOrganizationConfiguration": regions,
    }
    if not listing_tags:
        minimum["GetMember"] = regions * (len(departed) + len(outsiders))
    counts = summary["counts"]
    return {
        "case": f"reconcile of {ORGANIZATION + 1} accounts, all members, in {regions} regions, with "
                f"{DEPARTED_ASSOCIATED} departed Enabled, {DEPARTED_CREATED} departed Created and "
                f"{OUTSIDERS} untagged outsiders per region; ListMembers "
                f"{'with' if listing_tags else 'without'} tags",
        "removed": sum(c.get("removed", 0) for c in counts.values()),
        "kept": sum(c.get("kept", 0) for c in counts.values()),
        "invited": invited(summary),
        "calls": calls, "minimum": minimum,
        "at_minimum": {op: n for op, n in calls.items() if op not in ("AssumeRole", "GetCallerIdentity")} == minimum,
    }


def organizations(macie_invite):
    """The calls under the organization's delegated Macie administrator in both regions (issue 36):
    a reconcile of 1,000 accounts, none a member yet, then an event's 50 new accounts. The minimum:
    one CreateMember per account×region, no invitation, and the mode read once per region."""
    standins = Standins(accounts=ORGANIZATION)
    regions = REGIONS.split(",")
    results = []
    for case, payload, n in (("reconcile of 1,001 accounts, none a member yet", {"action": "reconcile"}, ORGANIZATION),
                             ("an invocation naming 50 new accounts", {"accountIds": accounts(50)}, 50)):
        standins.reset_macie()
        designate(standins, regions)
        before = standins.calls()
        api, process, _ = start(macie_invite, standins, {"BACKFILL": "true"})
        api.wait_ready()
        _, summary = api.invoke(payload)
        stop(process)
        after = standins.calls()
        calls = {op: after.get(op, 0) - before.get(op, 0) for op in after if after.get(op, 0) != before.get(op, 0)}
        added = sum(counts.get("added", 0) for counts in summary["counts"].values())
        macie = {op: calls.get(op, 0) for op in ("CreateMember", "CreateInvitations", "DescribeOrganizationConfiguration")}
        minimum = {"CreateMember": n * len(regions), "CreateInvitations": 0,
                   "DescribeOrganizationConfiguration": len(regions)}
        results.append({"case": case, "added": added, "invited": invited(summary), "calls": calls,
                        "macie": macie, "minimum": minimum, "at_minimum": macie == minimum})
    standins.stop()
    return results


DISCOVERY_CALLS = ("GetAutomatedDiscoveryConfiguration", "ListAutomatedDiscoveryAccounts",
                   "BatchUpdateAutomatedDiscoveryAccounts", "GetUsageStatistics",
                   # The memory of what the function turned off: the discovery tag on the member.
                   "TagResource", "UntagResource", "GetMember")


def discovery(macie_invite):
    """The calls that a discovery policy adds to a reconcile (issue 37): 1,000 accounts of the
    organization, each an Enabled member in both regions; the policy keeps 30 of them off. With no
    policy, none; with one, per region one GetAutomatedDiscoveryConfiguration, one listing page per
    25 members and one update call per 50 changes; usage pages only with a cost limit; and one tag
    call per member changed (issue 42: written as a member goes off, removed as it comes back on).
    The stand-in's listing carries the tags: no GetMember is needed to read them."""
    standins = Standins(accounts=ORGANIZATION)
    regions = REGIONS.split(",")
    members = accounts(ORGANIZATION)
    off = members[:30]
    ceil = lambda a, b: -(-a // b)
    listing = len(regions) * ceil(len(members), 25)
    calls = lambda **made: {op: made.get(op, 0) for op in DISCOVERY_CALLS}
    off_setting = {"DISCOVERY_OFF_ACCOUNT_IDS": ",".join(off)}
    cases = (
        ("no policy", {}, calls(), None),
        # Each member turned off: its tag first (one TagResource), then 50 a BatchUpdate call.
        ("30 accounts off (DISCOVERY_OFF_ACCOUNT_IDS)", off_setting,
         calls(GetAutomatedDiscoveryConfiguration=len(regions), ListAutomatedDiscoveryAccounts=listing,
               BatchUpdateAutomatedDiscoveryAccounts=len(regions) * ceil(len(off), 50),
               TagResource=len(regions) * len(off)), None),
        ("the same, again (nothing drifted)", off_setting,
         calls(GetAutomatedDiscoveryConfiguration=len(regions), ListAutomatedDiscoveryAccounts=listing), None),
        ("30 off and a cost limit", {**off_setting, "DISCOVERY_COST_LIMIT_USD": "25"},
         # The stand-in answers 50 usage records a page, as it is asked for no page size.
         calls(GetAutomatedDiscoveryConfiguration=len(regions), ListAutomatedDiscoveryAccounts=listing,
               GetUsageStatistics=len(regions) * ceil(len(members), 50)), None),
        # The 30 leave the list: the function turned them off, so it turns them on, and forgets.
        ("the 30 unlisted, under NONE", {"DISCOVERY_COST_LIMIT_USD": "25"},
         calls(GetAutomatedDiscoveryConfiguration=len(regions), ListAutomatedDiscoveryAccounts=listing,
               GetUsageStatistics=len(regions) * ceil(len(members), 50),
               BatchUpdateAutomatedDiscoveryAccounts=len(regions) * ceil(len(off), 50),
               UntagResource=len(regions) * len(off)), "NONE"),
        # Under NONE with a cost limit alone, nothing is turned on: the members off by hand stay so.
        ("a cost limit alone, under NONE", {"DISCOVERY_COST_LIMIT_USD": "25"},
         calls(GetAutomatedDiscoveryConfiguration=len(regions), ListAutomatedDiscoveryAccounts=listing,
               GetUsageStatistics=len(regions) * ceil(len(members), 50)), "NONE"),
    )
    standins.reset_macie()
    post(standins.macie + "/_standin/members", {"regions": regions, "accountIds": members})
    results = []
    for case, settings, minimum, auto_enable in cases:
        if auto_enable:
            for region in regions:
                post(standins.macie + "/_standin/discovery", {"region": region, "autoEnableOrganizationMembers": auto_enable})
        before = standins.calls()
        api, process, _ = start(macie_invite, standins, {"BACKFILL": "true", **settings})
        api.wait_ready()
        _, summary = api.invoke({"action": "reconcile"})
        stop(process)
        after = standins.calls()
        calls = {op: after.get(op, 0) - before.get(op, 0) for op in after if after.get(op, 0) != before.get(op, 0)}
        made = {op: calls.get(op, 0) for op in DISCOVERY_CALLS}
        changed = sum(counts.get("discovery", 0) for counts in summary["counts"].values())
        results.append({"case": case, "changed": changed, "calls": calls, "discovery_calls": made,
                        "minimum": minimum, "at_minimum": made == minimum})
    standins.stop()
    return results


def main():
    # --opt-level L: both binaries built with the release profile at opt-level L instead (kept in
    # target directories of their own), to compare it with the profile's.
    opt_level = sys.argv[sys.argv.index("--opt-level") + 1] if "--opt-level" in sys.argv else None
    env = dict(os.environ)
    target, echo_target = ROOT / "target", ROOT / "target/echo"
    if opt_level:
        env["CARGO_PROFILE_RELEASE_OPT_LEVEL"] = opt_level
        target, echo_target = ROOT / f"target/opt-{opt_level}", ROOT / f"target/echo-opt-{opt_level}"
    if "--departures" in sys.argv:
        # The departures case of --calls alone.
        subprocess.run(["cargo", "build", "--locked", "--bin", "macie-invite"], cwd=ROOT, check=True, env=env)
        standins = Standins(accounts=ORGANIZATION)
        binary = ROOT / "target/debug/macie-invite"
        both = {"listing with tags": departures(binary, standins),
                "listing without tags": departures(binary, standins, listing_tags=False)}
        print(json.dumps(both, indent=2))
        standins.stop()
        return
    if "--organizations" in sys.argv and "--scale" not in sys.argv:
        subprocess.run(["cargo", "build", "--locked", "--bin", "macie-invite"], cwd=ROOT, check=True, env=env)
        print(json.dumps(organizations(ROOT / "target/debug/macie-invite"), indent=2))
        return
    if "--discovery" in sys.argv:
        subprocess.run(["cargo", "build", "--locked", "--bin", "macie-invite"], cwd=ROOT, check=True, env=env)
        print(json.dumps(discovery(ROOT / "target/debug/macie-invite"), indent=2))
        return
    if "--calls" in sys.argv:
        # Calls do not depend on the build profile: the debug build, as the tests build it.
        subprocess.run(["cargo", "build", "--locked", "--bin", "macie-invite"], cwd=ROOT, check=True, env=env)
        print(json.dumps(calls_only(ROOT / "target/debug/macie-invite"), indent=2))
        return
    if "--latency" in sys.argv or "--rss-regions" in sys.argv:
        # The release binary alone (no echo, no zip); --binary PATH: one built already (another commit's).
        if "--binary" in sys.argv:
            binary = Path(sys.argv[sys.argv.index("--binary") + 1])
        else:
            subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "macie-invite", "--target-dir", str(target)],
                           cwd=ROOT, check=True, env=env)
            binary = target / "release/macie-invite"
        if "--latency" in sys.argv:
            ms = int(sys.argv[sys.argv.index("--latency") + 1])
            print(json.dumps(latency_cases(binary, ms), indent=2))
        else:
            print(json.dumps({"by_regions": rss_by_regions(binary), "thousand_named": rss_thousand(binary)}, indent=2))
        return
    print("building the release binaries…", file=sys.stderr)
    # Built as `cargo lambda build --release` builds it: the binary alone, without dev-dependencies.
    subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "macie-invite", "--target-dir", str(target)],
                   cwd=ROOT, check=True, env=env)
    subprocess.run(["cargo", "build", "--release", "--locked", "--target-dir", str(echo_target)],
                   cwd=ROOT / "bench/echo", check=True, env=env)
    macie_invite = target / "release/macie-invite"
    echo = echo_target / "release/echo"
    with tempfile.TemporaryDirectory() as scratch:
        zipped = Path(scratch) / "bootstrap.zip"
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(macie_invite, "bootstrap")
        zip_bytes = zipped.stat().st_size
    results = {"opt_level": opt_level or "profile (3)", "zip_bytes": zip_bytes,
               "binary_bytes": macie_invite.stat().st_size}
    if "--scale" in sys.argv:
        print(json.dumps(scale(macie_invite, delegated="--organizations" in sys.argv), indent=2))
        return

    print("cold starts…", file=sys.stderr)
    standins = Standins(accounts=1000)
    one = {"accountIds": accounts(1)}
    results["echo_init_ms"], results["echo_first_ms"] = cold_starts(echo, standins, one)
    results["init_ms"], results["first_ms"] = cold_starts(macie_invite, standins, one)
    bundle = {"SSL_CERT_FILE": CA_BUNDLE}
    results["echo_init_ms_ca_bundle"], _ = cold_starts(echo, standins, one, bundle)
    results["init_ms_ca_bundle"], results["first_ms_ca_bundle"] = cold_starts(macie_invite, standins, one, bundle)

    print("memory and API calls…", file=sys.stderr)
    results["runs"] = []
    for n in (1, 50, 1000):
        standins.reset_macie()
        before = standins.calls()
        api, process, _ = start(macie_invite, standins)
        api.wait_ready()
        latency, summary = api.invoke({"accountIds": accounts(n)})
        rss = peak_rss_kib(process)
        stop(process)
        after = standins.calls()
        calls = {op: after.get(op, 0) - before.get(op, 0) for op in after if after.get(op, 0) != before.get(op, 0)}
        made, minimum = made_calls(calls), minimum_calls(n, len(REGIONS.split(",")), ORGANIZATION + 1)
        results["runs"].append({"accounts": n, "peak_rss_kib": rss, "latency_ms": latency * 1000,
                                "invited": len(summary["invited"]), "calls": calls,
                                "made": made, "minimum": minimum, "at_minimum": made == minimum})
    standins.stop()

    print("warm latency with 20 ms per call…", file=sys.stderr)
    slow = Standins(accounts=50, latency_ms=LATENCY_MS)
    results["warm"] = []
    for n, in_flight in ((1, None), (50, None), (50, "50")):
        extra = {"MAX_CALLS_IN_FLIGHT": in_flight} if in_flight else {}
        api, process, _ = start(macie_invite, slow, extra)
        api.wait_ready()
        api.invoke({"accountIds": accounts(n, 50)})  # the cold one
        latencies = []
        function_cpu, standins_cpu = 0.0, 0.0
        for _ in range(WARM_RUNS):
            slow.reset_macie()
            before = cpu_ms(process.pid), cpu_ms(slow.process.pid)
            latency, summary = api.invoke({"accountIds": accounts(n, 50)})
            function_cpu += cpu_ms(process.pid) - before[0]
            standins_cpu += cpu_ms(slow.process.pid) - before[1]
            assert len(summary["invited"]) == n * 2, summary
            latencies.append(latency * 1000)
        stop(process)
        # DescribeAccount, a membership check, CreateMember, CreateInvitations: one after another.
        critical_path_ms = 4 * LATENCY_MS
        results["warm"].append({"accounts": n, "max_calls_in_flight": int(in_flight or 10),
                                "median_ms": statistics.median(latencies),
                                "critical_path_ms": critical_path_ms,
                                "function_cpu_ms": function_cpu / WARM_RUNS,
                                "standins_cpu_ms": standins_cpu / WARM_RUNS})
    slow.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
