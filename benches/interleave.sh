#!/usr/bin/env bash
# Interleaved timings: runs each command once per round, RUNS rounds, and prints the
# median, min and max wall time of each. On a noisy machine, medians of interleaved runs
# compare two commands better than best-of-3 runs taken minutes apart (README,
# "Performance").
#
#   bash benches/interleave.sh RUNS "label::command" "label::command" ...
#
# e.g. bash benches/interleave.sh 8 \
#        "zstd::zstd -dc /tmp/deadweight-bench/large-zstd.layers/*/layer.tar" \
#        "dw::target/release/deadweight inspect -q /tmp/deadweight-bench/large-zstd.tar"
set -euo pipefail
runs=${1:?usage: interleave.sh RUNS \"label::command\"...}
shift
declare -A times
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((i = 0; i < runs; i++)); do
  for spec in "$@"; do
    label=${spec%%::*}
    /usr/bin/time -o "$out" -f "%e" bash -c "${spec#*::}" > /dev/null 2>&1 || true
    times[$label]="${times[$label]:-} $(tail -1 "$out")"
  done
done
for spec in "$@"; do
  label=${spec%%::*}
  printf '%s: ' "$label"
  tr ' ' '\n' <<< "${times[$label]}" | sed '/^$/d' | sort -n | awk '
    { t[NR] = $1 }
    END {
      median = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
      printf "median %.2f s, min %.2f, max %.2f (%d runs)\n", median, t[1], t[NR], NR
    }'
done
