#!/usr/bin/env bash
# Runs every benchmark in one go; each prints its table and writes bench/results/<name>.json.
# Ratios are against a baseline measured in the same run (the machines are shared and noisy).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
for b in language lookup http decision freshness; do
  if [ -f "bench/$b/run.ts" ]; then
    echo "== bench/$b"
    npx tsx "bench/$b/run.ts"
  fi
done
