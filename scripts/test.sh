#!/usr/bin/env bash
# Runs every test: unit tests, and integration tests of the real handler and SDK clients against the
# local stand-ins (moto_server and tests/standins/macie.py, which the tests start themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh
cargo test --locked "$@"
