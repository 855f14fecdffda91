#!/usr/bin/env bash
# Benchmarks: not part of `npm test`. Each prints its own figures.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob
files=(test/bench/**/*.bench.ts)
[ "$#" -gt 0 ] && files=("$@")
for f in "${files[@]}"; do
  echo "== $f"
  node --import tsx "$f"
done
