#!/usr/bin/env bash
# `sam build`, saying that it is working: a cold build compiles the release binary for arm64, which
# takes minutes with nothing printed, so this prints the elapsed time every 30 seconds until it ends.
# Its arguments go to `sam build`; its exit status is sam build's.
#
#   scripts/build.sh [sam build options]
#
# SAM_CLI names another SAM CLI than the project's own (.venv/bin/sam), and BUILD_PROGRESS_SECONDS
# another interval than 30 (a whole number of seconds, 1 or more).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/tools.sh || exit 1
tick=${BUILD_PROGRESS_SECONDS:-30}
if ! [[ $tick =~ ^[0-9]+$ ]] || [ "$tick" -lt 1 ]; then
  echo "BUILD_PROGRESS_SECONDS is $tick: it must be a whole number of seconds, 1 or more (default 30)" >&2
  exit 2
fi
start=$SECONDS
${SAM_CLI:-sam} build "$@" &
build=$!
trap 'kill "$build" 2>/dev/null; exit 130' INT TERM
while kill -0 "$build" 2>/dev/null; do
  for _ in $(seq "$tick"); do
    kill -0 "$build" 2>/dev/null || break
    sleep 1
  done
  kill -0 "$build" 2>/dev/null && echo "sam build: still building ($((SECONDS - start)) s; the release build for arm64 takes minutes)" >&2
done
wait "$build"
