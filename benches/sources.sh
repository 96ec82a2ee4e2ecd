#!/usr/bin/env bash
# Registry and daemon sources against files, measured in one interleaved run.
#
#   benches/sources.sh [DEADWEIGHT] [FIXTURES]   (default target/release/deadweight,
#                                                 ../shared/fixtures)
#   DW_CHECK=target/debug/deadweight ...           the binary whose `check` answers from the
#                                                 manifest (default DEADWEIGHT)
#   DW_BASE=/tmp/deadweight-main ...               also times this binary's registry and
#                                                 file reads, interleaved (before/after)
#   RTT_MS=20 ...                                  also times the registry reads through
#                                                 benches/slow_proxy.py (each request held
#                                                 RTT_MS: a registry a round trip away)
#
# Starts docker-registry on a free port and `podman system service` in temporary folders
# (both killed by PID at the end), pushes the README sample and the largest fixture with
# skopeo, then times, RUNS times each and interleaved: deadweight on docker:// (layer
# workers decoding `--jobs` blobs at once, and `--jobs 1`: one at a time), on the same
# blobs as an OCI archive file, `skopeo copy docker://... oci:DIR` (copying alone), and
# `docker-daemon:` against `podman save | deadweight -`. Prints median seconds, peak RSS,
# the CPU (user+sys) of the command, and for registry reads the CPU docker-registry spent
# serving them: on two cores the server shares, the registry read's wall time follows
# the sum (docs/performance.md, "Registry reads: where the rest goes").
set -euo pipefail
echo "load before: $(uptime)"; lscpu | grep -E 'Model name|^CPU\(s\)'
DW=$(realpath "${1:-target/release/deadweight}")
FIX=$(realpath "${2:-../shared/fixtures}")
if [ -n "${DW_BASE:-}" ]; then DW_BASE=$(realpath "$DW_BASE"); fi
RUNS=${RUNS:-5}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
REG=127.0.0.1:$port
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/storage\nhttp:\n  addr: %s\n' "$work" "$REG" > "$work/reg.yml"
docker-registry serve "$work/reg.yml" >"$work/reg.log" 2>&1 & pids+=($!)
P=(podman --root "$work/proot" --runroot "$work/prun" --storage-driver vfs --cgroup-manager cgroupfs --events-backend file)
"${P[@]}" system service --time=0 "unix://$work/p.sock" >"$work/p.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -sf "http://$REG/v2/" >/dev/null && [ -S "$work/p.sock" ] && break; sleep 0.1; done
push() { skopeo copy -q --dest-tls-verify=false "$1" "docker://$REG/$2"; }
push "docker-archive:testdata/sample/sample.docker.tar" sample:1
push "oci-archive:$FIX/corpus/svc-bloated.oci-zstd.tar" bloated:1
# The same blobs as files: what the registry holds, as an OCI archive.
skopeo copy -q --src-tls-verify=false "docker://$REG/sample:1" "oci-archive:$work/sample.oci.tar"
cp "$FIX/corpus/svc-bloated.oci-zstd.tar" "$work/bloated.oci.tar"
"${P[@]}" load -q -i testdata/sample/sample.docker.tar >/dev/null
"${P[@]}" tag "$("${P[@]}" images -q | head -1)" sample:1
# Podman cannot export zstd layers as a `docker save` archive (its API's /images/get and
# `podman save` both refuse them): the daemon holds the same image with gzip layers.
skopeo copy -q --dest-compress --dest-compress-format gzip \
  "oci-archive:$FIX/corpus/svc-bloated.oci-zstd.tar" "oci-archive:$work/bloated-gz.oci.tar"
"${P[@]}" load -q -i "$work/bloated-gz.oci.tar" >/dev/null
"${P[@]}" tag "$("${P[@]}" images -q | head -1)" bloated:1

# RTT_MS=20: the registry reads again through a proxy that holds each request that long
# (benches/slow_proxy.py), a registry one round trip of RTT_MS away.
if [ -n "${RTT_MS:-}" ]; then
  sport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  SLOW=127.0.0.1:$sport
  python3 benches/slow_proxy.py "$sport" "$REG" "$RTT_MS" & pids+=($!)
  for _ in $(seq 50); do curl -sf "http://$SLOW/v2/" >/dev/null && break; sleep 0.1; done
fi
declare -A T M C S
tck=$(getconf CLK_TCK)
server_ticks() { awk '{print $14 + $15}' "/proc/${pids[0]}/stat"; }
run() { # name, command...
  local name=$1; shift
  local e=failed m=failed u=0 s=0 before after
  before=$(server_ticks)
  local t0=$EPOCHREALTIME
  if /usr/bin/time -o "$work/time" -f '%M %U %S' "$@" >/dev/null 2>&1; then
    # Wall time from the shell's clock: /usr/bin/time's %e is in hundredths.
    e=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.4f", b - a}')
    read -r m u s < <(tail -1 "$work/time")
  fi
  after=$(server_ticks)
  T[$name]+="$e "; M[$name]+="$m "
  C[$name]+="$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}') "
  S[$name]+="$(awk -v a="$after" -v b="$before" -v t="$tck" 'BEGIN {printf "%.2f", (a - b) / t}') "
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for i in $(seq "$RUNS"); do
  for img in sample bloated; do
    run "$img registry" "$DW" inspect -q --format json "docker://$REG/$img:1"
    # One blob at a time through the pipeline, downloads ahead: the read before layer
    # workers decoded registry blobs in parallel.
    run "$img registry --jobs 1" "$DW" inspect -q --format json --jobs 1 "docker://$REG/$img:1"
    run "$img file" "$DW" inspect -q --format json "$work/$img.oci.tar"
    if [ -n "${DW_BASE:-}" ]; then
      run "$img registry (DW_BASE)" "$DW_BASE" inspect -q --format json "docker://$REG/$img:1"
      run "$img file (DW_BASE)" "$DW_BASE" inspect -q --format json "$work/$img.oci.tar"
    fi
    rm -rf "$work/copy"; run "$img skopeo-copy" skopeo copy -q --src-tls-verify=false "docker://$REG/$img:1" "oci:$work/copy"
    run "$img docker-daemon" env DOCKER_HOST="unix://$work/p.sock" "$DW" inspect -q --format json "docker-daemon:$img:1"
    run "$img podman-save-pipe" sh -c "$(printf '%q ' "${P[@]}") save $img:1 | $DW inspect -q --format json -"
    if [ -n "${RTT_MS:-}" ]; then
      run "$img registry +${RTT_MS}ms" "$DW" inspect -q --format json "docker://$SLOW/$img:1"
      if [ -n "${DW_BASE:-}" ]; then
        run "$img registry +${RTT_MS}ms (DW_BASE)" "$DW_BASE" inspect -q --format json "docker://$SLOW/$img:1"
      fi
    fi
  done
done
printf '%-34s %10s %12s %8s %10s\n' case 'median s' 'peak RSS KB' 'CPU s' 'server s'
while IFS= read -r k; do
  printf '%-34s %10s %12s %8s %10s\n' "$k" "$(echo "${T[$k]}" | median)" \
    "$(echo "${M[$k]}" | median)" "$(echo "${C[$k]}" | median)" "$(echo "${S[$k]}" | median)"
done < <(printf '%s\n' "${!T[@]}" | sort)
echo "load after: $(uptime)"
# `check` answered from the manifest and config (rules on stored size, layer count, user):
# the requests and bytes it took, against the stored bytes a full read downloads.
for img in sample bloated; do
  stored=$("$DW" inspect -q --format json "docker://$REG/$img:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["blob_bytes"])')
  traffic=$("${DW_CHECK:-$DW}" check -q --max-blob-bytes 10GB --max-layers 1000 --root-user warn "docker://$REG/$img:1" | grep -o '[0-9]* HTTP requests, [0-9]* bytes' || echo 'no manifest answer')
  printf '%-8s manifest-only check: %s; a full read downloads %s stored bytes\n' "$img" "$traffic" "$stored"
done
