#!/usr/bin/env bash
# Registry and daemon sources against files, measured in one interleaved run.
#
#   benches/sources.sh [DEADWEIGHT] [FIXTURES]   (default target/release/deadweight,
#                                                 ../shared/fixtures)
#
# Starts docker-registry on a free port and `podman system service` in temporary folders
# (both killed by PID at the end), pushes the README sample and the largest fixture with
# skopeo, then times, RUNS times each and interleaved: deadweight on docker://, on the same
# blobs as an OCI archive file, `skopeo copy docker://... oci:DIR` (copying alone), and
# `docker-daemon:` against `podman save | deadweight -`. Prints median seconds and peak RSS.
set -euo pipefail
DW=$(realpath "${1:-target/release/deadweight}")
FIX=$(realpath "${2:-../shared/fixtures}")
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
"${P[@]}" load -q -i "$FIX/corpus/svc-bloated.oci-zstd.tar" >/dev/null
"${P[@]}" tag "$("${P[@]}" images -q | head -1)" bloated:1

declare -A T M
run() { # name, command...
  local name=$1; shift
  local out; out=$( { /usr/bin/time -f '%e %M' "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1)
  T[$name]+="${out% *} "; M[$name]+="${out#* } "
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for i in $(seq "$RUNS"); do
  for img in sample bloated; do
    run "$img registry" "$DW" inspect -q --format json "docker://$REG/$img:1"
    run "$img file" "$DW" inspect -q --format json "$work/$img.oci.tar"
    rm -rf "$work/copy"; run "$img skopeo-copy" skopeo copy -q --src-tls-verify=false "docker://$REG/$img:1" "oci:$work/copy"
    run "$img docker-daemon" env DOCKER_HOST="unix://$work/p.sock" "$DW" inspect -q --format json "docker-daemon:$img:1"
    run "$img podman-save-pipe" sh -c "$(printf '%q ' "${P[@]}") save $img:1 | $DW inspect -q --format json -"
  done
done
printf '%-26s %10s %12s\n' case 'median s' 'peak RSS KB'
for k in $(printf '%s\n' "${!T[@]}" | sort); do
  printf '%-26s %10s %12s\n' "$k" "$(echo "${T[$k]}" | median)" "$(echo "${M[$k]}" | median)"
done
# The manifest-only view: requests and bytes (DEADWEIGHT_TRAFFIC prints them).
