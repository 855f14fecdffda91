#!/usr/bin/env bash
# Runs the test suite with Node's own runner. With arguments, runs just those files.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=(test/**/*.test.ts)
fi
if [ "${#files[@]}" -eq 0 ]; then
  echo "no test files found" >&2
  exit 1
fi
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" --test-timeout="${TEST_TIMEOUT_MS:-600000}" "${files[@]}"
