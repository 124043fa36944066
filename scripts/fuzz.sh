#!/usr/bin/env bash
# The long fuzz run: every shape of tests/fuzz.rs with RELPLAN_FUZZ_CASES inputs each
# (default 12,500: over 100,000 inputs in all), in release mode, then the total.
# Usage: bash scripts/fuzz.sh [CASES_PER_SHAPE]
set -euo pipefail
cd "$(dirname "$0")/.."
export RELPLAN_FUZZ_CASES="${1:-12500}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
cargo test --locked --release --test integration fuzz:: -- --nocapture --test-threads 2 | tee "$log"
total=$(grep -oE 'fuzz [^:]+: [0-9]+ inputs, 0 panics' "$log" | awk '{ n += $(NF-3) } END { print n }')
echo "fuzz total: $total inputs, 0 panics, $((SECONDS - start)) s"
