#!/usr/bin/env bash
# The benchmark suite (bench/run.ts): `npm run bench -- [--quick] [--only NAME[,NAME...]]`.
# Each scenario runs in its own processes; every figure is a ratio to a baseline measured in the same
# run; the results go to bench/results/latest.json. Scenarios are listed in bench/scenarios.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
exec npx tsx bench/run.ts "$@"
