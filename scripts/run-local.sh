#!/usr/bin/env bash
# Runs macie-invite on this machine as Lambda would: the function behind the Lambda Runtime API
# (cargo lambda watch), the AWS services played by local stand-ins (moto_server for Organizations,
# tests/standins/macie.py for Macie), and one sample event sent with cargo lambda invoke. Prints the
# summary the function returns.
#
#   scripts/run-local.sh [EVENT_FILE]        (default: events/create-account-result.json)
#
# The stand-ins' organization holds the accounts that the sample events name. Settings come from the
# environment as in Lambda (MACIE_REGIONS, INVITATION_MESSAGE, ...); defaults below.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# The event's path is taken from where the command was run, then the repository root is the
# working directory.
event=${1:-$root/events/create-account-result.json}
if [ ! -f "$event" ]; then
  echo "no event file at $event: pass one of $root/events/*.json (see events/README.md)" >&2
  exit 2
fi
event="$(cd "$(dirname "$event")" && pwd)/$(basename "$event")"
# The event is read before anything starts: a file that is not JSON is named with the parse error.
python3 -c 'import json, sys
try:
    json.load(open(sys.argv[1]))
except ValueError as error:
    sys.exit(f"{sys.argv[1]} is not JSON: {error}")' "$event" || exit 2
cd "$root"

# The script's own settings, checked before anything starts, in the function's words.
# check_number NAME VALUE MIN MAX
check_number() {
  if ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
    echo "setting $1 is invalid: expected a whole number from $3 to $4 (value: \"$2\")" >&2
    exit 2
  fi
}
check_number RETRY_ROUNDS "${RETRY_ROUNDS:-4}" 0 20
check_number RETRY_BASE_DELAY_SECONDS "${RETRY_BASE_DELAY_SECONDS:-2}" 0 900
# MACIE_REGIONS unset, empty or blank means the same everywhere: these two regions (the function
# itself would take its own region alone, which the stand-ins' sample members are not in).
if [ -z "${MACIE_REGIONS:-}" ] || [ -z "${MACIE_REGIONS//[[:space:]]/}" ]; then
  MACIE_REGIONS=us-east-1,eu-west-1
fi
export MACIE_REGIONS
echo "MACIE_REGIONS=$MACIE_REGIONS" >&2

. scripts/tools.sh
# Built before the first invocation: cargo lambda watch counts the invocation's deadline from the
# request, and a first compile inside it would leave the function no time (it would re-queue everything).
cargo build --locked --bin macie-invite

workdir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT
# Ctrl-C (or a TERM) at any point stops everything: the stand-ins, the function, and this script.
trap 'echo "interrupted" >&2; exit 130' INT TERM

# py CODE ARGS...: Python for the script's own steps; a Ctrl-C ends it quietly (no traceback), and
# the trap above says "interrupted".
py() {
  python3 -c "import signal; signal.signal(signal.SIGINT, signal.SIG_DFL)
$1" "${@:2}"
}

# The departure samples' accounts are members that the function enrolled, in every region, so that
# a departure sample shows its removal: scripts/run-local.sh events/close-account-call.json
python3 tests/standins/serve.py --sample-organization --departed-members "$MACIE_REGIONS" \
  >"$workdir/endpoints.json" &
pids+=($!)
for _ in $(seq 100); do [ -s "$workdir/endpoints.json" ] && break; sleep 0.1; done
read -r moto macie < <(py 'import json,sys; e=json.load(open(sys.argv[1])); print(e["moto"], e["macie"])' "$workdir/endpoints.json")
echo "stand-ins: Organizations at $moto, Macie at $macie" >&2

port=$(py 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# What aws-config reads in Lambda: the standard endpoint variables point the real clients at the stand-ins.
export AWS_ENDPOINT_URL_ORGANIZATIONS=$moto AWS_ENDPOINT_URL_MACIE2=$macie AWS_ENDPOINT_URL_STS=$moto
export AWS_ENDPOINT_URL_SQS=$moto
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
# The retry and dead-letter queues, in moto's SQS (set either variable, even empty, to choose yourself).
read -r retry_queue dead_letter_queue < <(py '
import boto3, sys
sqs = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1")
print(*(sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("macie-invite-retry", "macie-invite-dead-letter")))
' "$moto")
export RETRY_QUEUE_URL=${RETRY_QUEUE_URL-$retry_queue} DEAD_LETTER_QUEUE_URL=${DEAD_LETTER_QUEUE_URL-$dead_letter_queue}
export AWS_LAMBDA_LOG_FORMAT=JSON AWS_LAMBDA_LOG_LEVEL=${AWS_LAMBDA_LOG_LEVEL:-INFO}
export INVITATION_MESSAGE=${INVITATION_MESSAGE:-Your account joins our Macie organization.}
# The stand-ins' accounts joined long before this run's queues were made (the "first deployment"):
# with the template's BACKFILL=false every one of them would only be planned for. BACKFILL=false
# shows that: scripts/run-local.sh with BACKFILL=false in the environment.
export BACKFILL=${BACKFILL:-true}
# Retries come back within seconds here (the template's default is 60 s).
export RETRY_BASE_DELAY_SECONDS=${RETRY_BASE_DELAY_SECONDS:-2}

cargo lambda watch --invoke-port "$port" --ignore-changes >"$workdir/watch.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.2
done

# invoke FILE OUT: invokes the function with the event in FILE, its answer in OUT. A function that
# fails its start (a bad setting) exits at once, but cargo lambda watch keeps the invocation
# waiting: the function's own error line ends the run instead.
invoke() {
  cargo lambda invoke macie-invite --invoke-port "$port" --data-file "$1" --output-format json \
    >"$2" 2>"$workdir/invoke.log" &
  local invocation=$!
  pids+=($invocation)
  while kill -0 "$invocation" 2>/dev/null; do
    if start_failure >&2; then
      exit 1
    fi
    sleep 0.2
  done
  if ! wait "$invocation"; then
    start_failure >&2 && exit 1
    echo "--- the invocation failed ---" >&2
    # cargo lambda's own footer (where to report a bug in cargo lambda) says nothing of ours.
    grep -v -e 'Was this behavior unexpected' -e 'cargo-lambda/discussions' "$workdir/invoke.log" >&2 || true
    grep '^{' "$workdir/watch.log" | grep -v 'AWS_LAMBDA_MAX_CONCURRENCY' >&2 || true
    exit 1
  fi
}
start_failure() {
  py '
import json, sys
for line in open(sys.argv[1], errors="replace"):
    try:
        record = json.loads(line)
    except ValueError:
        continue
    if isinstance(record, dict) and record.get("message") == "cannot start":
        print("macie-invite cannot start:", record.get("error"))
        sys.exit(0)
sys.exit(1)
' "$workdir/watch.log"
}

echo "invoking macie-invite with $event" >&2
invoke "$event" "$workdir/summary.json"

# Then, as the retry queue's event source mapping would, its messages once their delay is over, in
# batches of up to 10, for up to RETRY_ROUNDS rounds: a pending acceptance (the invitation shows in
# the member account after a while) is finished locally too. A message that the function names in
# batchItemFailures stays on the queue.
rounds=0
while [ -n "$RETRY_QUEUE_URL" ] && [ "$rounds" -lt "${RETRY_ROUNDS:-4}" ] && py '
import boto3, json, sys
sqs = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1")
held = sqs.get_queue_attributes(QueueUrl=sys.argv[2], AttributeNames=["All"])["Attributes"]
if not any(int(held.get(name, 0)) for name in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed")):
    sys.exit(1)
messages = sqs.receive_message(QueueUrl=sys.argv[2], MaxNumberOfMessages=10, WaitTimeSeconds=8,
                               VisibilityTimeout=120).get("Messages", [])
records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": {}, "messageAttributes": {}, "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:macie-invite-retry", "awsRegion": "us-east-1"}
           for m in messages]
json.dump({"Records": records}, open(sys.argv[3], "w"))
sys.exit(0 if records else 1)
' "$moto" "$RETRY_QUEUE_URL" "$workdir/batch.json"; do
  rounds=$((rounds + 1))
  echo "retry round $rounds: the retry queue's messages, as its event source mapping delivers them" >&2
  invoke "$workdir/batch.json" "$workdir/batch-$rounds.json"
  py '
import boto3, json, sys
sqs = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1")
failed = {item["itemIdentifier"] for item in json.load(open(sys.argv[4])).get("batchItemFailures", [])}
for record in json.load(open(sys.argv[3]))["Records"]:
    if record["messageId"] not in failed:
        sqs.delete_message(QueueUrl=sys.argv[2], ReceiptHandle=record["receiptHandle"])
' "$moto" "$RETRY_QUEUE_URL" "$workdir/batch.json" "$workdir/batch-$rounds.json"
done

echo "--- function logs ---" >&2
# The function's JSON lines, without lambda_runtime's notice that cargo lambda watch sets
# AWS_LAMBDA_MAX_CONCURRENCY (Lambda does not, for this function).
grep '^{' "$workdir/watch.log" | grep -v 'AWS_LAMBDA_MAX_CONCURRENCY' >&2 || true
for round in $(seq "$rounds"); do
  echo "--- retry round $round: the batch response ---" >&2
  python3 -m json.tool "$workdir/batch-$round.json" >&2
done
echo "--- summary of the first invocation (standard output: the function's JSON answer alone) ---" >&2
python3 -m json.tool "$workdir/summary.json"

# Where each account that the first invocation named ended, after the retry rounds: its membership
# in each region as the Macie stand-in keeps it, or its dead letter with the reason.
echo "--- where each account ended ---" >&2
py '
import boto3, json, sys, urllib.request
summary, macie, moto, dead_letter_queue, regions = sys.argv[1:6]
summary = json.load(open(summary))
named = sorted({entry["accountId"] for entries in summary.values() if isinstance(entries, list)
                for entry in entries if isinstance(entry, dict) and "accountId" in entry})
members = json.load(urllib.request.urlopen(macie + "/_standin/members"))
letters = {}
if dead_letter_queue:
    sqs = boto3.client("sqs", endpoint_url=moto, region_name="us-east-1")
    for message in sqs.receive_message(QueueUrl=dead_letter_queue, MaxNumberOfMessages=10,
                                       VisibilityTimeout=0).get("Messages", []):
        letter = json.loads(message["Body"])
        for region in letter.get("regions", []):
            letters[(letter.get("accountId"), region)] = letter.get("reason", "")
if not named:
    print("(the first invocation named no account)")
for account in named:
    for region in regions.split(","):
        if (account, region) in letters:
            print(f"{account} {region}: dead-lettered: {letters[(account, region)]}")
        else:
            member = members.get(region, {}).get(account, {})
            status = member.get("relationshipStatus")
            on_its_way = " (its invitation is on its way: Macie shows it Invited within minutes)" \
                if status == "Created" and member.get("invitedAt") else ""
            print(f"{account} {region}: " + (f"a Macie member, {status}{on_its_way}" if status else "no Macie membership"))
' "$workdir/summary.json" "$macie" "$moto" "$DEAD_LETTER_QUEUE_URL" "$MACIE_REGIONS" >&2

# A check that answers "ok": false fails the run, as a failed invocation does.
if ! py 'import json, sys; sys.exit(json.load(open(sys.argv[1])).get("ok") is False)' "$workdir/summary.json"; then
  echo "the check answered \"ok\": false: see its failing checks above" >&2
  exit 1
fi
