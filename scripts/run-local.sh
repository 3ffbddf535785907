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
cd "$(dirname "$0")/.."
event=${1:-events/create-account-result.json}
if [ ! -f "$event" ]; then
  echo "no event file at $event: pass one of events/*.json (see events/README.md)" >&2
  exit 2
fi

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

python3 tests/standins/serve.py --sample-organization >"$workdir/endpoints.json" &
pids+=($!)
for _ in $(seq 100); do [ -s "$workdir/endpoints.json" ] && break; sleep 0.1; done
read -r moto macie < <(python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(e["moto"], e["macie"])' "$workdir/endpoints.json")
echo "stand-ins: Organizations at $moto, Macie at $macie" >&2

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# What aws-config reads in Lambda: the standard endpoint variables point the real clients at the stand-ins.
export AWS_ENDPOINT_URL_ORGANIZATIONS=$moto AWS_ENDPOINT_URL_MACIE2=$macie AWS_ENDPOINT_URL_STS=$moto
export AWS_ENDPOINT_URL_SQS=$moto
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
# The retry and dead-letter queues, in moto's SQS (set either variable, even empty, to choose yourself).
read -r retry_queue dead_letter_queue < <(python3 -c '
import boto3, sys
sqs = boto3.client("sqs", endpoint_url=sys.argv[1], region_name="us-east-1")
print(*(sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("macie-invite-retry", "macie-invite-dead-letter")))
' "$moto")
export RETRY_QUEUE_URL=${RETRY_QUEUE_URL-$retry_queue} DEAD_LETTER_QUEUE_URL=${DEAD_LETTER_QUEUE_URL-$dead_letter_queue}
export AWS_LAMBDA_LOG_FORMAT=JSON AWS_LAMBDA_LOG_LEVEL=${AWS_LAMBDA_LOG_LEVEL:-INFO}
export MACIE_REGIONS=${MACIE_REGIONS:-us-east-1,eu-west-1}
export INVITATION_MESSAGE=${INVITATION_MESSAGE:-Your account joins our Macie organization.}

cargo lambda watch --invoke-port "$port" --ignore-changes >"$workdir/watch.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.2
done

echo "invoking macie-invite with $event" >&2
if ! cargo lambda invoke macie-invite --invoke-port "$port" --data-file "$event" --output-format json >"$workdir/summary.json"; then
  echo "--- function output ---" >&2
  cat "$workdir/watch.log" >&2
  exit 1
fi
echo "--- function logs ---" >&2
# The function's JSON lines, without lambda_runtime's notice that cargo lambda watch sets
# AWS_LAMBDA_MAX_CONCURRENCY (Lambda does not, for this function).
grep '^{' "$workdir/watch.log" | grep -v 'AWS_LAMBDA_MAX_CONCURRENCY' >&2 || true
echo "--- summary ---" >&2
python3 -m json.tool "$workdir/summary.json"
