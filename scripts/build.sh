#!/usr/bin/env bash
# `sam build`, saying that it is working: a cold build compiles the release binary for arm64, which
# takes minutes with nothing printed, so this prints the elapsed time every 30 seconds until it ends.
# Its arguments go to `sam build`; its exit status is sam build's.
#
#   scripts/build.sh [sam build options]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/tools.sh || exit 1
start=$SECONDS
sam build "$@" &
build=$!
trap 'kill "$build" 2>/dev/null; exit 130' INT TERM
while kill -0 "$build" 2>/dev/null; do
  for _ in $(seq 30); do
    kill -0 "$build" 2>/dev/null || break
    sleep 1
  done
  kill -0 "$build" 2>/dev/null && echo "sam build: still building ($((SECONDS - start)) s; the release build for arm64 takes minutes)" >&2
done
wait "$build"
