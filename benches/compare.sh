#!/usr/bin/env bash
# Whole-process timings of deadweight against the floor (openssl's SHA-256 of the archive,
# the fastest decompressors) and against dive, on a large synthetic archive.
#
#   bash benches/compare.sh [workdir]      (needs ~7 GB free; hyperfine if installed)
#
# Prints a markdown table: wall time, peak RSS, ratio to the yardstick.
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/deadweight-bench}
mkdir -p "$work"
cargo build --release --quiet --bin deadweight --example make_large
dw=target/release/deadweight
mk=target/release/examples/make_large
[ -f "$work/large.tar" ] || "$mk" "$work/large.tar" 8 20000 none
[ -f "$work/large-gzip.tar" ] || "$mk" "$work/large-gzip.tar" 8 20000 gzip
[ -f "$work/large-zstd.tar" ] || "$mk" "$work/large-zstd.tar" 8 20000 zstd
# 50 layers with 10k whiteouts, and the same image without them.
[ -f "$work/wh50.tar" ] || "$mk" "$work/wh50.tar" 50 4000 none 204 2
[ -f "$work/nowh50.tar" ] || "$mk" "$work/nowh50.tar" 50 4000 none 0 2
cat "$work"/*.tar > /dev/null   # warm the page cache

# Where the time goes after the last byte is read (DEADWEIGHT_TIMINGS): the analysis
# share of the whole run, on the 167k-entry archive and on the 210k-entry one. The median
# of 5 runs: a single run on a noisy machine moves by a percent either way.
for a in large wh50; do
  for _ in 1 2 3 4 5; do
    DEADWEIGHT_TIMINGS=1 "$dw" inspect -q --format json "$work/$a.tar" 2> "$work/timings.txt" > /dev/null
    read_s=$(awk '/timing: read done/ {print $6}' "$work/timings.txt")
    end_s=$(awk '/timing: report done/ {print $6}' "$work/timings.txt")
    awk -v r="$read_s" -v e="$end_s" 'BEGIN{printf "%.1f %.3f %.3f\n", 100*(e-r)/e, e-r, e}'
  done | sort -n | sed -n 3p | {
    read -r share after total
    echo "$a: analysis after reading: $after s of $total s ($share%), the median of 5 runs"
  }
done

# Which pipeline thread is the slow one on compressed layers (DEADWEIGHT_TIMINGS prints
# each thread's CPU time): the reader thread reads and decompresses, the parser parses
# and hashes.
for a in large large-zstd; do
  echo "$a: $(DEADWEIGHT_TIMINGS=1 "$dw" inspect -q --format json "$work/$a.tar" 2>&1 > /dev/null \
    | awk '/thread used/ {printf "%s %s s, ", $3, $6} /report done/ {printf "wall %s s", $6}')"
done

measure() { # label, command...
  local label=$1; shift
  local best=999999 rss=0
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > /dev/null 2>&1 || true
    read -r t m < "$work/time.txt"
    if awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    rss=$m
  done
  echo "$label|$best|$rss"
}

decompress_layers() { # archive, tool: decompress every layer blob of a docker archive
  local archive=$1 tool=$2
  tar -xOf "$archive" --wildcards '*/layer.tar' | $tool -dc > /dev/null 2>&1 || true
}
export -f decompress_layers

# The layer blobs as files of their own: the decompressors' time on the layers alone,
# without taking them out of the archive through a pipe first. zstd's command line reads
# its input on a thread of its own, so this is decoding and nothing else.
for a in large-gzip large-zstd; do
  if [ ! -d "$work/$a.layers" ]; then
    mkdir -p "$work/$a.layers"
    tar -xf "$work/$a.tar" -C "$work/$a.layers" --wildcards '*/layer.tar'
  fi
  cat "$work/$a.layers"/*/layer.tar > /dev/null
done

rows=()
for a in large large-gzip large-zstd; do
  f="$work/$a.tar"
  rows+=("$(measure "openssl dgst -sha256 $a" openssl dgst -sha256 "$f")")
  rows+=("$(measure "deadweight $a (file)" "$dw" inspect -q --format json "$f")")
  rows+=("$(measure "deadweight $a (stdin)" bash -c "cat '$f' | '$dw' inspect -q --format json -")")
  rows+=("$(measure "deadweight $a (1 core)" taskset -c 0 "$dw" inspect -q --format json "$f")")
  rows+=("$(measure "deadweight $a --verify (file)" "$dw" inspect -q --verify --format json "$f")")
done
for a in wh50 nowh50; do
  rows+=("$(measure "deadweight $a (file)" "$dw" inspect -q --format json "$work/$a.tar")")
done
rows+=("$(measure "decompress gzip layers out of the archive (tar -xO, pigz/gzip -dc)" bash -c "decompress_layers '$work/large-gzip.tar' \$(command -v pigz || echo gzip)")")
rows+=("$(measure "decompress zstd layers out of the archive (tar -xO, zstd -dc)" bash -c "decompress_layers '$work/large-zstd.tar' zstd")")
rows+=("$(measure "decompress gzip layer files (pigz/gzip -dc)" bash -c "\$(command -v pigz || echo gzip) -dc '$work'/large-gzip.layers/*/layer.tar > /dev/null")")
rows+=("$(measure "decompress zstd layer files (zstd -dc)" bash -c "zstd -dc '$work'/large-zstd.layers/*/layer.tar > /dev/null")")
# The floor under reading from a pipe: moving the bytes through one and nothing else.
rows+=("$(measure "cat large, piped to cat > /dev/null (the pipe alone)" bash -c "cat '$work/large.tar' | cat > /dev/null")")
rows+=("$(measure "cat large, piped to openssl dgst -sha256" bash -c "cat '$work/large.tar' | openssl dgst -sha256")")
if command -v dive > /dev/null; then
  # One run, with a time limit: dive takes tens of minutes on archives this size.
  start=$(date +%s)
  timeout "${DIVE_LIMIT:-1200}" dive --ci --source docker-archive "$work/large.tar" > /dev/null 2>&1 || true
  rows+=("dive --ci large (one run, limit ${DIVE_LIMIT:-1200} s)|$(( $(date +%s) - start ))|0")
fi
echo
echo "| command | wall s (best of 3) | peak RSS MB |"
echo "|---|---:|---:|"
for r in "${rows[@]}"; do
  IFS='|' read -r l t m <<< "$r"
  printf '| %s | %s | %s |\n' "$l" "$t" "$(awk -v m="$m" 'BEGIN{printf "%.1f", m/1024}')"
done
ls -l "$work"/*.tar
